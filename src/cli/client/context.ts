import type { z } from 'zod';
import type * as schemas from '../../control-plane/http/schemas.js';
import { ApiClient } from './api-client.js';
import { resolveConnection } from './connection.js';
import { CliError, exitCodes } from './errors.js';
import type { Output } from './output.js';

export type Backup = z.infer<typeof schemas.backup>;
export type Service = z.infer<typeof schemas.service>;
export type Restore = z.infer<typeof schemas.restore>;
export type Schedule = z.infer<typeof schemas.schedule>;
export type Contents = z.infer<typeof schemas.contents>;

/** A client command's body; its arguments come from commander, after the context. */
export type CommandAction = (context: CommandContext, ...args: never[]) => Promise<number | void>;
/** Wraps an action with the shared connection, output and error handling (commands.ts). */
export type Run = (action: CommandAction) => (...args: unknown[]) => Promise<void>;

export interface GlobalFlags {
  url?: string;
  token?: string;
  project?: string;
  json?: boolean;
}

/** What every client command works with: the API, the output, and the project it acts in. */
export class CommandContext {
  private constructor(
    readonly api: ApiClient,
    readonly out: Output,
    private readonly projectFlag: string | undefined,
  ) {}

  static async create(flags: GlobalFlags, env: Readonly<Record<string, string | undefined>>, write: (text: string) => void): Promise<CommandContext> {
    const connection = await resolveConnection(flags, env);
    return new CommandContext(new ApiClient(connection), { json: flags.json === true, write }, flags.project ?? env.LIFEBOAT_PROJECT);
  }

  /** The project: --project, LIFEBOAT_PROJECT, or the one a project token belongs to. */
  async projectId(): Promise<string> {
    if (this.projectFlag) return this.projectFlag;
    const me = await this.api.request<{ projectId: string | null }>('GET', '/v1/whoami');
    if (!me.projectId) throw new CliError('the admin token belongs to no project: pass --project <id>', exitCodes.usage);
    return me.projectId;
  }

  /** The project's services. */
  async services(): Promise<Service[]> {
    return (await this.api.request<{ services: Service[] }>('GET', `/v1/projects/${await this.projectId()}/services`)).services;
  }

  /** A service by id (svc_…) or by name within the project. */
  async service(reference: string): Promise<Service> {
    if (/^svc_[0-9a-z]{16}$/.test(reference)) return this.api.request<Service>('GET', `/v1/services/${reference}`);
    const services = await this.services();
    const found = services.find((service) => service.name === reference);
    if (!found) throw new CliError(`no service named ${reference} in this project`, exitCodes.refused, 'not_found');
    return found;
  }
}
