import type { Logger } from 'pino';
import type { PlatformDatabase } from '../db/platform-database.js';
import { EmbeddedBus } from './embedded.js';
import type { EventBus } from './event-bus.js';

/** The bus LIFEBOAT_BUS_URL names: unset, the embedded bus in the platform database. */
export async function openEventBus(options: { busUrl: string | undefined; database: PlatformDatabase; logger: Logger }): Promise<EventBus> {
  if (options.busUrl) throw new Error('the NATS bus is not available in this version; leave LIFEBOAT_BUS_URL unset');
  return EmbeddedBus.open({ database: options.database, logger: options.logger });
}
