import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolEnv } from '../agent/tool-env.js';
import type { ToolFound } from '../contracts/index.js';

/** `<tool> --version`, as found on the job's PATH: its first line, or why there is none. */
export async function askToolVersion(name: string, env: Readonly<Record<string, string | undefined>>): Promise<ToolFound> {
  try {
    const { stdout } = await promisify(execFile)(name, ['--version'], { env: toolEnv(env), timeout: 10_000 });
    const line = stdout.split('\n')[0]?.trim() ?? '';
    return line === '' ? { name, version: null, problem: `${name} --version printed nothing` } : { name, version: line };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { name, version: null, problem: code === 'ENOENT' ? `${name} is not installed here (not found on the PATH)` : `${name} --version failed: ${(error as Error).message.slice(0, 200)}` };
  }
}
