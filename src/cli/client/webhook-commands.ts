import type { Command } from 'commander';
import type { Run } from './context.js';
import { CliError, exitCodes } from './errors.js';
import { printJson, printTable } from './output.js';
import { formatTime } from './times.js';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  createdAt: string;
}

const webhookId = (value: string) => {
  if (/^whk_[0-9a-z]{16}$/.test(value)) return value;
  throw new CliError(`${value} is not a webhook id (whk_…)`, exitCodes.usage, 'usage');
};

/** `lifeboat webhooks list|add|remove`: where the project's backup events are posted. */
export function registerWebhookCommands(program: Command, run: Run): void {
  const webhooks = program.command('webhooks').description("URLs the project's backup events are posted to, signed");

  webhooks
    .command('list')
    .description('list the webhooks (whole URLs for owners)')
    .action(
      run(async (context) => {
        const { webhooks: rows } = await context.api.request<{ webhooks: Webhook[] }>('GET', `/v1/projects/${await context.projectId()}/webhooks`);
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['ID', 'URL', 'EVENTS', 'CREATED'],
          rows.map((row) => [row.id, row.url, row.events.join(','), formatTime(row.createdAt)]),
        );
      }),
    );

  webhooks
    .command('add <url>')
    .description('post events to a URL (owner); its signing secret is printed once, so store it now')
    .option('--events <events>', 'comma-separated: backup.succeeded, backup.failed, backup.canceled, backup.started, backup.verified, backup.verification_failed, restore.started, restore.succeeded, restore.failed (default: backup.succeeded,backup.failed)')
    .action(
      run(async (context, url: string, options: { events?: string }) => {
        const events = options.events?.split(',').map((event) => event.trim()).filter(Boolean);
        const created = await context.api.request<Webhook & { secret: string }>('POST', `/v1/projects/${await context.projectId()}/webhooks`, { url, ...(events ? { events } : {}) });
        if (context.out.json) return printJson(context.out, created);
        context.out.write(`added ${created.id} for ${created.events.join(', ')}\nsigning secret (shown once): ${created.secret}\n`);
      }),
    );

  webhooks
    .command('remove')
    .argument('<webhook-id>', 'the webhook id (whk_…), as `webhooks list` shows it', webhookId)
    .description('stop posting to a webhook (owner)')
    .action(
      run(async (context, id: string) => {
        await context.api.request('DELETE', `/v1/webhooks/${id}`);
        if (context.out.json) return printJson(context.out, { removed: id });
        context.out.write(`removed ${id}\n`);
      }),
    );
}
