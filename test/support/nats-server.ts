import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './password-postgres.js';

export interface TestNatsServer {
  url: string;
  /** Stops and starts it again on the same port and store: JetStream state survives. */
  restart(options?: { downForMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const binary = process.env.LIFEBOAT_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

/** A private `nats-server -js` (Debian's package; .ci/run installs it) on a free port with its own store. */
export async function startNatsServer(): Promise<TestNatsServer> {
  const port = await freePort();
  const store = await mkdtemp(join(tmpdir(), 'lifeboat-nats-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: 'ignore' });
    await waitForPort(port, 10_000);
  };
  const halt = async () => {
    const current = child;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    async restart(options = {}) {
      await halt();
      await new Promise((resolve) => setTimeout(resolve, options.downForMs ?? 0));
      await start();
    },
    async stop() {
      await halt();
      await rm(store, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
