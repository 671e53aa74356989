import { describe, expect, it } from 'vitest';
import { drillsRefusal, engineOf, portToSend } from './engines.js';
import type { Capabilities, EngineCapabilities } from './types.js';

const all: EngineCapabilities = { restoreInPlace: true, restoreNewDatabase: true, contents: true, drills: true, parallelRestore: true, restorePlan: true };
const answer: Pick<Capabilities, 'engines'> = {
  engines: [
    { name: 'postgresql', label: 'PostgreSQL', aliases: [], defaultPort: 5432, capabilities: all, drills: { configured: true, setting: 'LIFEBOAT_VERIFY_DATABASE_URL' }, tools: null },
    {
      name: 'mariadb',
      label: 'MariaDB / MySQL',
      aliases: ['mysql'],
      defaultPort: 3306,
      capabilities: { ...all, drills: false, parallelRestore: false, restorePlan: false },
      drills: { configured: false, setting: 'LIFEBOAT_VERIFY_MARIADB_URL' },
      tools: null,
    },
  ],
};

describe('engineOf', () => {
  it('gives a listed engine its label and capabilities', () => {
    expect(engineOf(answer, 'postgresql')).toEqual({ label: 'PostgreSQL', capabilities: all, drills: { configured: true, setting: 'LIFEBOAT_VERIFY_DATABASE_URL' }, defaultPort: 5432 });
    const mariadb = engineOf(answer, 'mariadb');
    expect(mariadb.label).toBe('MariaDB / MySQL');
    expect(mariadb.capabilities.restorePlan).toBe(false);
    expect(mariadb.capabilities.restoreInPlace).toBe(true);
    expect(mariadb.defaultPort).toBe(3306);
  });

  it('shows an unknown engine by its raw name and offers nothing', () => {
    const unknown = engineOf(answer, 'oracle');
    expect(unknown.label).toBe('oracle');
    expect(Object.values(unknown.capabilities).every((flag) => !flag)).toBe(true);
    expect(unknown.drills).toBeNull();
    expect(unknown.defaultPort).toBeNull();
  });

  it('takes an answer without engines (an older API) as knowing none', () => {
    expect(engineOf({} as Pick<Capabilities, 'engines'>, 'postgresql').label).toBe('postgresql');
  });

  it('matches names exactly, not aliases: services are stored under the engine name', () => {
    expect(engineOf(answer, 'mysql').label).toBe('mysql');
  });
});

describe('drillsRefusal', () => {
  it('is null when drills can run', () => {
    expect(drillsRefusal(engineOf(answer, 'postgresql'))).toBeNull();
  });
  it('names the setting when the verification server is missing', () => {
    expect(drillsRefusal(engineOf(answer, 'mariadb'))).toBe('Restore drills of MariaDB / MySQL services need a verification server: set LIFEBOAT_VERIFY_MARIADB_URL.');
  });
  it('says plainly when the engine has no drills at all', () => {
    const none = { engines: [{ ...answer.engines[0]!, capabilities: { ...all, drills: false } }] };
    expect(drillsRefusal(engineOf(none, 'postgresql'))).toBe('Restore drills are not available for PostgreSQL services.');
    expect(drillsRefusal(engineOf(answer, 'oracle'))).toBe('Restore drills are not available for oracle services.');
  });
});

describe('portToSend', () => {
  it("sends the engine's default port for an empty field", () => {
    expect(portToSend('', 3306)).toBe(3306);
    expect(portToSend('  ', 5432)).toBe(5432);
    expect(portToSend('', null)).toBeUndefined();
  });
  it('sends a typed port as a number', () => {
    expect(portToSend('6543', 5432)).toBe(6543);
    expect(portToSend(' 1 ', 5432)).toBe(1);
  });
  it('refuses what is not a port', () => {
    for (const typed of ['0', '65536', 'abc', '54 32', '-1', '1e3', '123456']) expect(portToSend(typed, 5432)).toBeNull();
  });
});
