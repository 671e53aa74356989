import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('runs `serve` on the embedded defaults with nothing set', () => {
    const config = loadConfig('serve', {});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', databaseUrl: undefined, busUrl: undefined, downloadUrlTtlSeconds: 900, killSwitch: false, runner: 'local' });
    expect(config.dataDir).toMatch(/\/\.lifeboat$/);
    expect(config.storageUrl).toBe(`file://${config.dataDir}/artifacts`);
  });

  it('leaves storage unset for a split api, so it fails closed', () => {
    const split = { LIFEBOAT_SECRET_KEY: 'k'.repeat(32), LIFEBOAT_ADMIN_TOKEN: 'a'.repeat(24), LIFEBOAT_DATABASE_URL: 'postgres://db/lifeboat' };
    expect(loadConfig('api', split).storageUrl).toBeUndefined();
  });

  it('reads every variable, treating empty as unset', () => {
    const config = loadConfig('serve', {
      LIFEBOAT_PORT: '9000',
      LIFEBOAT_DATABASE_URL: 'postgres://u@db/lifeboat',
      LIFEBOAT_STORAGE_URL: 'file:///var/lib/lifeboat',
      LIFEBOAT_KILL_SWITCH: '1',
      LIFEBOAT_DOWNLOAD_URL_TTL_SECONDS: '60',
      LIFEBOAT_PUBLIC_URL: 'https://backups.example.com/',
      LIFEBOAT_ADMIN_TOKEN: '',
      UNRELATED: 'x',
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgres://u@db/lifeboat',
      storageUrl: 'file:///var/lib/lifeboat',
      killSwitch: true,
      downloadUrlTtlSeconds: 60,
      publicUrl: 'https://backups.example.com',
      adminToken: undefined,
    });
  });

  it('reports every problem at once, one line each, naming the variable', () => {
    const problems = problemsOf(() =>
      loadConfig('orchestrator', { LIFEBOAT_PORT: 'eighty', LIFEBOAT_DATABASE_URL: 'mysql://x', LIFEBOAT_KILL_SWITCH: 'yes', LIFEBOAT_ADMIN_TOKEN: 'short' }),
    );
    expect(problems.map((line) => line.split(':')[0])).toEqual([
      'LIFEBOAT_PORT',
      'LIFEBOAT_DATABASE_URL',
      'LIFEBOAT_ADMIN_TOKEN',
      'LIFEBOAT_KILL_SWITCH',
      'LIFEBOAT_SECRET_KEY',
      'LIFEBOAT_STORAGE_URL',
    ]);
    expect(problemsOf(() => loadConfig('api', {})).map((line) => line.split(':')[0])).toEqual(['LIFEBOAT_DATABASE_URL', 'LIFEBOAT_SECRET_KEY', 'LIFEBOAT_ADMIN_TOKEN']);
    expect(problems.join('\n')).toContain('must be a postgres:// URL');
    expect(new ConfigError(problems).message.split('\n')).toHaveLength(problems.length + 1);
  });

  it('refuses a runner this version does not have, instead of ignoring it', () => {
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_RUNNER: 'kubernetes' }))).toEqual(['LIFEBOAT_RUNNER: the kubernetes runner is not available in this version; use local']);
  });

  it('explains a storage URL it cannot use', () => {
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_STORAGE_URL: 's3://backups?colour=blue' }))).toEqual([
      'LIFEBOAT_STORAGE_URL: unknown storage URL parameter "colour"; known: endpoint, region, forcePathStyle, sse, sseKmsKeyId, partSizeMiB, queueSize',
    ]);
  });

  it('takes production engines by URL', () => {
    const config = loadConfig('serve', { LIFEBOAT_BUS_URL: 'nats://nats-1:4222', LIFEBOAT_STORAGE_URL: 's3://backups/lifeboat?region=eu-west-1' });
    expect(config).toMatchObject({ busUrl: 'nats://nats-1:4222', storageUrl: 's3://backups/lifeboat?region=eu-west-1' });
  });
  it('reads LIFEBOAT_SERVICE_NETWORKS, naming each entry that is neither a CIDR nor a DNS suffix', () => {
    expect(loadConfig('serve', {}).serviceNetworks).toBeUndefined();
    expect(loadConfig('serve', { LIFEBOAT_SERVICE_NETWORKS: '10.0.0.0/8,.db.internal' }).serviceNetworks).toBe('10.0.0.0/8,.db.internal');
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_SERVICE_NETWORKS: '10.0.0.0/8,db.internal,300.1.1.1/8' }))).toEqual([
      'LIFEBOAT_SERVICE_NETWORKS: "db.internal" is neither a CIDR (10.0.0.0/8, fd00::/8, 10.1.2.3) nor a DNS suffix starting with a dot (.db.internal)',
      'LIFEBOAT_SERVICE_NETWORKS: "300.1.1.1/8" is neither a CIDR (10.0.0.0/8, fd00::/8, 10.1.2.3) nor a DNS suffix starting with a dot (.db.internal)',
    ]);
  });

  it('lets the operator register services under api and owners under serve, unless LIFEBOAT_SERVICE_REGISTRATION says otherwise', () => {
    const split = { LIFEBOAT_SECRET_KEY: 'k'.repeat(32), LIFEBOAT_ADMIN_TOKEN: 'a'.repeat(24), LIFEBOAT_DATABASE_URL: 'postgres://db/lifeboat' };
    expect(loadConfig('api', split).serviceRegistration).toBe('admin');
    expect(loadConfig('serve', {}).serviceRegistration).toBe('owner');
    expect(loadConfig('api', { ...split, LIFEBOAT_SERVICE_REGISTRATION: 'owner' }).serviceRegistration).toBe('owner');
    expect(loadConfig('serve', { LIFEBOAT_SERVICE_REGISTRATION: 'admin' }).serviceRegistration).toBe('admin');
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_SERVICE_REGISTRATION: 'anyone' }))).toEqual([
      'LIFEBOAT_SERVICE_REGISTRATION: must be admin (the operator registers services) or owner (project owners may)',
    ]);
  });
});
