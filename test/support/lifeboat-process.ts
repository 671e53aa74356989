import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { postgresHost, postgresPort, postgresUser } from './postgres.js';

const thisCheckoutsCli = resolve(import.meta.dirname, '../../bin/lifeboat.js');

export interface LifeboatProcess {
  child: ChildProcess;
  /** The API's address, once it listens (api and serve roles). */
  url: string;
  /** The admin token `serve` printed. */
  adminToken: string | undefined;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Sends `signal` and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the real CLI (`bin/lifeboat.js <role>`, this checkout's unless `cli` names another's)
 * with `env` on top of a minimal environment, and waits until it prints where its API listens.
 */
export async function startLifeboat(role: 'serve' | 'api' | 'orchestrator', env: Record<string, string>, options: { timeoutMs?: number; cli?: string } = {}): Promise<LifeboatProcess> {
  const child = spawn(process.execPath, [options.cli ?? thisCheckoutsCli, role], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LIFEBOAT_PORT: '0', LIFEBOAT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const started = await new Promise<boolean>((resolve) => {
    const deadline = setTimeout(() => resolve(false), options.timeoutMs ?? 60_000);
    const check = () => {
      if (/is running\./.test(output)) {
        clearTimeout(deadline);
        resolve(true);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(deadline);
      resolve(false);
    });
  });
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`lifeboat ${role} did not start:\n${output}`);
  }
  return {
    child,
    url: /(?:API|Operations):\s+(\S+)/.exec(output)?.[1] ?? '',
    adminToken: /Admin token:\s+(\S+)/.exec(output)?.[1],
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** A small JSON client for the API of a running Lifeboat. */
export function apiClient(baseUrl: string, token: string) {
  return async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };
}

/** Waits for a backup to reach a terminal status, with the API's waiting reads. */
export async function waitForBackup(request: ReturnType<typeof apiClient>, backupId: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await request('GET', `/v1/backups/${backupId}?waitSeconds=5`);
    if (status !== 200) throw new Error(`reading backup ${backupId} answered ${status}: ${JSON.stringify(body)}`);
    if (['succeeded', 'failed', 'canceled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`backup ${backupId} is still ${body.status} after ${timeoutMs} ms`);
  }
}

/** A new project on a running Lifeboat and a client with its owner's token: how most end-to-end tests begin. */
export async function ownedProject(lifeboat: LifeboatProcess, name: string): Promise<{ projectId: string; api: ReturnType<typeof apiClient> }> {
  const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
  const projectId = (await admin('POST', '/v1/projects', { name })).body.id as string;
  return { projectId, api: apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token) };
}

/** Registers a service of the project, by default on the machine's PostgreSQL (trust auth); returns its id. */
export async function registerService(
  api: ReturnType<typeof apiClient>,
  projectId: string,
  service: { name: string; database: string; host?: string; port?: number; user?: string; password?: string },
): Promise<string> {
  const { name, database, host = postgresHost, port = postgresPort, user = postgresUser, password = '' } = service;
  const answer = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name, engine: 'postgresql', connection: { host, port, database, user, password } });
  if (answer.status !== 201) throw new Error(`registering ${name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.id as string;
}
