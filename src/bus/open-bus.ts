import type { Logger } from 'pino';
import type { PlatformDatabase } from '../db/platform-database.js';
import { EmbeddedBus } from './embedded.js';
import type { EventBus } from './event-bus.js';
import { NatsBus } from './nats.js';

/** The bus LIFEBOAT_BUS_URL names: NATS JetStream, or (unset) the embedded bus in the platform database. */
export async function openEventBus(options: { busUrl: string | undefined; database: PlatformDatabase; logger: Logger }): Promise<EventBus> {
  if (options.busUrl) return NatsBus.open({ url: options.busUrl, logger: options.logger });
  return EmbeddedBus.open({ database: options.database, logger: options.logger });
}
