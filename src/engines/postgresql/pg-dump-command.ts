import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

export interface Command {
  file: string;
  args: string[];
}

const stdbufByPath = new Map<string, Promise<string | undefined>>();

/**
 * How pg_dump is started to write its archive into the agent's pipe. On a pipe, pg_dump's
 * stdio flushes every 4 KiB, and each flush wakes the agent to read it: on two cores the agent
 * then preempted pg_dump ~3,000 times in a 36 MiB dump (~300 times writing to a file). Under
 * coreutils' `stdbuf -o 1M` it writes a mebibyte at a time: 120–1,100 preemptions, and the agent
 * spends less CPU reading (BENCHMARKS.md, sixth round). Where there is no `stdbuf` on PATH
 * (busybox, distroless images), pg_dump runs as it is. The lookup is kept per PATH.
 */
export async function pgDumpCommand(args: string[], path: string): Promise<Command> {
  const stdbuf = await findStdbuf(path);
  return stdbuf ? { file: stdbuf, args: ['--output=1M', 'pg_dump', ...args] } : { file: 'pg_dump', args };
}

/** Looks for `stdbuf` now, so that a standby agent's job does not wait for the lookup. */
export function findStdbufAhead(path: string): void {
  void findStdbuf(path);
}

function findStdbuf(path: string): Promise<string | undefined> {
  let found = stdbufByPath.get(path);
  if (!found) {
    found = firstExecutable('stdbuf', path);
    stdbufByPath.set(path, found);
  }
  return found;
}

async function firstExecutable(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    // A relative PATH entry would depend on the agent's working directory: skipped.
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; next directory.
    }
  }
  return undefined;
}
