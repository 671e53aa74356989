import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who an orchestrator process is, written on the jobs it owns: `host/pid/random`. On the same
 * host a dead owner is recognised at once; elsewhere only by its stale heartbeat.
 */
export function newInstanceId(pid: number = process.pid): string {
  return `${hostname()}/${pid}/${randomBytes(4).toString('hex')}`;
}

/** True when the owner was on this host and its process is gone; undefined when this host cannot tell. */
export function isInstanceGone(owner: string): boolean | undefined {
  const [host, pidText] = owner.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}
