import type { Command } from 'commander';
import { wholeNumber } from './arguments.js';
import type { Run } from './context.js';
import { printJson, printTable } from './output.js';
import { formatTime } from './times.js';

interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: { kind: string; id: string };
  details: Record<string, unknown>;
  at: string;
}

/** `lifeboat audit`: who did what to which object, newest first, with the filters GET /v1/audit has. */
export function registerAuditCommand(program: Command, run: Run): void {
  program
    .command('audit')
    .description("the project's audit log, newest first (the admin token without --project: every project's)")
    .option('--limit <n>', 'how many (1-500)', wholeNumber('--limit', 1), 50)
    .option('--action <action>', 'only this action, such as backup.deleted')
    .option('--target <id>', 'only entries about this object (a backup, service, token … id)')
    .option('--since <time>', 'only entries from this time on (ISO 8601, such as 2026-12-01T00:00:00Z)')
    .option('--until <time>', 'only entries before this time (ISO 8601)')
    .option('--cursor <cursor>', 'the next page, as the last one said')
    .action(
      run(async (context, options: { limit: number; action?: string; target?: string; since?: string; until?: string; cursor?: string }) => {
        const me = await context.api.request<{ kind: string }>('GET', '/v1/whoami');
        const query = new URLSearchParams({ limit: String(options.limit) });
        // The admin's log spans every project unless one is named; a project token sees its own.
        const project = me.kind === 'admin' ? await context.projectId().catch(() => undefined) : undefined;
        if (project) query.set('projectId', project);
        for (const [key, value] of [['action', options.action], ['targetId', options.target], ['since', options.since], ['until', options.until], ['cursor', options.cursor]] as const) {
          if (value !== undefined) query.set(key, value);
        }
        const page = await context.api.request<{ entries: AuditEntry[]; nextCursor: string | null }>('GET', `/v1/audit?${query.toString()}`);
        if (context.out.json) return printJson(context.out, page);
        printTable(
          context.out,
          ['AT', 'ACTOR', 'ACTION', 'TARGET', 'DETAILS'],
          page.entries.map((entry) => [formatTime(entry.at), entry.actor, entry.action, `${entry.target.kind} ${entry.target.id}`, Object.keys(entry.details).length ? JSON.stringify(entry.details) : null]),
        );
        if (page.nextCursor) context.out.write(`(more: --cursor ${page.nextCursor})\n`);
      }),
    );
}
