import pg from 'pg';
import type { Logger } from 'pino';
import type { PlatformDatabase } from './platform-database.js';

/**
 * Leader-only work (the scheduler) runs in one replica at a time: the leader holds a session
 * advisory lock on a connection of its own, and loses it when that connection or its process
 * dies, so another replica takes over on its next attempt. PGlite has one process by
 * construction, which is always the leader.
 */
export interface Leadership {
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function holdLeadership(options: {
  database: PlatformDatabase;
  /** postgres:// URL of the platform database; undefined on PGlite. */
  url: string | undefined;
  name: string;
  logger: Logger;
  retryMs?: number;
  onChange?: (leader: boolean) => void;
}): Leadership {
  if (options.database.kind === 'pglite' || !options.url) {
    options.onChange?.(true);
    return { isLeader: () => true, stop: async () => undefined };
  }
  return new AdvisoryLockLeadership(options.url, options.name, options.logger, options.retryMs ?? 5000, options.onChange);
}

class AdvisoryLockLeadership implements Leadership {
  private client: pg.Client | undefined;
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly logger: Logger,
    private readonly retryMs: number,
    private readonly onChange: ((leader: boolean) => void) | undefined,
  ) {
    this.attempt = this.tryToLead();
  }

  isLeader(): boolean {
    return this.leader;
  }

  private async tryToLead(): Promise<void> {
    try {
      this.client ??= await this.connect();
      const { rows } = await this.client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [`lifeboat.leader.${this.name}`]);
      if (rows[0]?.locked && !this.leader) {
        this.leader = true;
        this.logger.info({ lock: this.name }, 'became leader');
        this.onChange?.(true);
      }
    } catch (error) {
      this.logger.warn({ err: error, lock: this.name }, 'could not take part in leader election; will retry');
      this.dropConnection();
    }
    if (!this.leader) this.scheduleAttempt();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, application_name: `lifeboat-leader-${this.name}` });
    client.on('error', (error) => {
      // The lock went with the session: stop leading at once, then try again.
      this.logger.warn({ err: error, lock: this.name }, 'leadership connection lost');
      this.dropConnection();
      this.scheduleAttempt();
    });
    await client.connect();
    return client;
  }

  private dropConnection(): void {
    void this.client?.end().catch(() => undefined);
    this.client = undefined;
    if (this.leader) {
      this.leader = false;
      this.onChange?.(false);
    }
  }

  private scheduleAttempt(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt = this.tryToLead();
    }, this.retryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.attempt;
    // Closing the session releases the lock.
    await this.client?.end().catch(() => undefined);
    if (this.leader) {
      this.leader = false;
      this.onChange?.(false);
    }
  }
}
