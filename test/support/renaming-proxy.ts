import { connect, createServer, type Socket } from 'node:net';

/**
 * A PostgreSQL-aware TCP proxy that, once told to, rewrites the database named in each new
 * connection's startup message: the attacker's proxy of the report, which made one project's
 * backup and restore reach another project's database. Everything else is passed through.
 */
export interface RenamingProxy {
  port: number;
  /** From now on, a new connection asking for `from` reaches `to`; undefined passes names as they are. */
  rename(rule: { from: string; to: string } | undefined): void;
  close(): Promise<void>;
}

const sslRequestCode = 80877103;
const gssRequestCode = 80877104;

export async function startRenamingProxy(target: { host: string; port: number }): Promise<RenamingProxy> {
  let rule: { from: string; to: string } | undefined;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    const upstream = connect(target.port, target.host);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    const activeRule = rule;
    let pending = Buffer.alloc(0);
    let started = false;
    const onData = (chunk: Buffer) => {
      if (started) return void upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      while (!started && pending.length >= 8) {
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const code = message.readInt32BE(4);
        if (code === sslRequestCode || code === gssRequestCode) {
          // Answer "no encryption" ourselves, as a plain server would; the client then starts up in clear.
          client.write('N');
          continue;
        }
        upstream.write(activeRule ? renamed(message, activeRule) : message);
        started = true;
        if (pending.length > 0) upstream.write(pending);
      }
    };
    client.on('data', onData);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    rename(next) {
      rule = next;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The startup message with its `database` parameter replaced when it names `rule.from`. */
function renamed(message: Buffer, rule: { from: string; to: string }): Buffer {
  const fields = message.subarray(8, message.length - 1).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'database' && fields[i + 1] === rule.from) fields[i + 1] = rule.to;
  }
  const body = Buffer.from(`${fields.join('\0')}\0`, 'utf8');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(message.readInt32BE(4), 4);
  return Buffer.concat([header, body]);
}
