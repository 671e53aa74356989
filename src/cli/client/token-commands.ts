import type { Command } from 'commander';
import { resourceId, wholeNumber } from './arguments.js';
import type { Run } from './context.js';
import { printJson, printTable } from './output.js';

interface TokenListing {
  id: string;
  role: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** `lifeboat tokens create|list|revoke`: the project's tokens, for its owners and the operator. */
export function registerTokenCommands(program: Command, run: Run): void {
  const tokens = program.command('tokens').description("the project's API tokens (owners and the operator)");

  tokens
    .command('create')
    .description('issue a token; it is printed once, so store it now')
    .requiredOption('--role <role>', 'viewer, member or owner (never above your own)')
    .option('--expires-in-days <days>', 'the token answers 401 after this many days (1-3650); unset: it does not expire', wholeNumber('--expires-in-days', 1))
    .action(
      run(async (context, options: { role: string; expiresInDays?: number }) => {
        const body = { role: options.role, ...(options.expiresInDays === undefined ? {} : { expiresInDays: options.expiresInDays }) };
        const issued = await context.api.request<{ id: string; role: string; token: string; expiresAt?: string | null }>('POST', `/v1/projects/${await context.projectId()}/tokens`, body);
        if (context.out.json) return printJson(context.out, issued);
        context.out.write(`${issued.token}\n`);
      }),
    );

  tokens
    .command('list')
    .description('list the tokens (never their secrets), revoked and expired ones included')
    .action(
      run(async (context) => {
        const { tokens: rows } = await context.api.request<{ tokens: TokenListing[] }>('GET', `/v1/projects/${await context.projectId()}/tokens`);
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['ID', 'ROLE', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED'],
          rows.map((row) => [row.id, row.role, row.createdAt, row.expiresAt, row.revokedAt, row.lastUsedAt]),
        );
      }),
    );

  tokens
    .command('revoke')
    .argument('<token-id>', 'the token id (tok_…), as `tokens list` shows it', resourceId('tok'))
    .description('revoke a token: it answers 401 from its next request on')
    .action(
      run(async (context, tokenId: string) => {
        await context.api.request('DELETE', `/v1/tokens/${encodeURIComponent(tokenId)}`);
        if (context.out.json) return printJson(context.out, { revoked: tokenId });
        context.out.write(`revoked ${tokenId}\n`);
      }),
    );
}
