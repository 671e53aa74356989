import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, type TestDatabase } from '../support/postgres.js';

/**
 * `GET /v1/events` on a real `lifeboat serve` over a real PostgreSQL platform database: a token
 * or a project holds only so many open streams (429 too_many_streams), a closed stream gives its
 * slot back, and a Last-Event-ID replays no more than the last hour.
 */
describe('live event streams', () => {
  let work: string;
  let platform: TestDatabase;
  let lifeboat: LifeboatProcess;
  let admin: ReturnType<typeof apiClient>;
  let projectId: string;
  const tokens: Record<'a' | 'b', string> = { a: '', b: '' };
  const open: AbortController[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-streams-'));
    platform = await createTestDatabase('streams_platform');
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data'), LIFEBOAT_DATABASE_URL: platform.url, LIFEBOAT_MAX_EVENT_STREAMS_PER_PROJECT: '7' });
    admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'streams' })).body.id;
    for (const name of ['a', 'b'] as const) tokens[name] = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'viewer' })).body.token;
  });
  afterAll(async () => {
    for (const controller of open) controller.abort();
    await lifeboat?.stop();
    await platform?.drop();
    await rm(work, { recursive: true, force: true });
  });

  /** Opens a stream and keeps it open; the answer's status and, for a refusal, its body. */
  async function openStream(token: string, options: { lastEventId?: string; path?: string } = {}): Promise<{ status: number; body: any; controller: AbortController; response: Response }> {
    const controller = new AbortController();
    const response = await fetch(`${lifeboat.url}${options.path ?? '/v1/events'}`, {
      headers: { authorization: `Bearer ${token}`, ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) },
      signal: controller.signal,
    });
    if (response.status === 200) {
      open.push(controller);
      return { status: 200, body: null, controller, response };
    }
    return { status: response.status, body: await response.json(), controller, response };
  }

  it('refuses a token its sixth stream and a project its eighth, each with too_many_streams', async () => {
    const streamsOfA = [];
    for (let i = 0; i < 5; i++) streamsOfA.push(await openStream(tokens.a));
    expect(streamsOfA.map((stream) => stream.status)).toEqual([200, 200, 200, 200, 200]);
    const sixth = await openStream(tokens.a);
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('too_many_streams');
    expect(sixth.body.error.message).toMatch(/^this token already has 5 live event streams open/);
    expect(sixth.response.headers.get('cache-control')).toBe('no-store');

    // Token b has its own five, but the project has room for only two more (7 in all).
    expect((await openStream(tokens.b)).status).toBe(200);
    expect((await openStream(tokens.b)).status).toBe(200);
    const eighth = await openStream(tokens.b);
    expect(eighth.status).toBe(429);
    expect(eighth.body.error).toMatchObject({ code: 'too_many_streams', message: expect.stringMatching(/^this project already has 7 live event streams open/) });
    // The admin's view of the project counts against the project too.
    expect((await openStream(lifeboat.adminToken!, { path: `/v1/events?projectId=${projectId}` })).status).toBe(429);

    // A stream that closes gives its slot back, to its token and to its project.
    streamsOfA[0]!.controller.abort();
    await expect.poll(async () => (await openStream(tokens.b)).status, { timeout: 10_000, interval: 200 }).toBe(200);
    for (const controller of open.splice(0)) controller.abort();
    // Every slot is back: five for a again.
    await expect
      .poll(
        async () => {
          const statuses = [];
          for (let i = 0; i < 5; i++) statuses.push((await openStream(tokens.a)).status);
          for (const controller of open.splice(0)) controller.abort();
          return statuses;
        },
        { timeout: 10_000, interval: 500 },
      )
      .toEqual([200, 200, 200, 200, 200]);
  });

  it('replays at most the last hour for an old Last-Event-ID, and nothing for one from the future', async () => {
    const owner = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
    const backupOf = async (name: string) => {
      const service = await owner('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        name,
        engine: 'postgresql',
        connection: { host: postgresHost, port: postgresPort, database: 'no_such_database', user: postgresUser, password: '' },
      });
      const backup = (await owner('POST', `/v1/services/${service.body.id}/backups`)).body.id as string;
      expect((await waitForBackup(owner, backup)).status).toBe('failed');
      return backup;
    };
    const twoHoursOld = await backupOf('old-db');
    const halfAnHourOld = await backupOf('recent-db');
    await platform.query(`UPDATE control.backups SET updated_at = now() - interval '2 hours' WHERE id = $1`, [twoHoursOld]);
    await platform.query(`UPDATE control.backups SET updated_at = now() - interval '30 minutes' WHERE id = $1`, [halfAnHourOld]);

    const eventsSince = async (lastEventId: string | undefined): Promise<string[]> => {
      const stream = await openStream(tokens.a, { lastEventId });
      expect(stream.status).toBe(200);
      const reader = stream.response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const stop = setTimeout(() => stream.controller.abort(), 3000);
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
      } catch {
        // Aborted: what arrived in three seconds is the answer.
      } finally {
        clearTimeout(stop);
      }
      return [...text.matchAll(/^data: (.*)$/gm)].map((match) => (JSON.parse(match[1]!) as { id: string }).id);
    };
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString().replace('Z', '000Z');
    const replayed = await eventsSince(threeHoursAgo);
    expect(replayed).toContain(halfAnHourOld);
    expect(replayed).not.toContain(twoHoursOld);
    expect(await eventsSince('2999-01-01T00:00:00.000000Z')).toEqual([]);
    expect(await eventsSince(undefined)).toEqual([]);
  });
  it('gives back the slot of a client that left while its request was being authenticated', async () => {
    const viewer = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'viewer' })).body.token as string;
    const { hostname: host, port } = new URL(lifeboat.url);
    // Each request is sent and its connection dropped at once: it is still being authenticated
    // when the client is gone, twice as many times as the token may hold streams.
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), host, () => {
          socket.write(`GET /v1/events HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${viewer}\r\n\r\n`, () => {
            socket.destroy();
            resolve();
          });
        });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await openStream(viewer);
    expect(after.status).toBe(200);
    after.controller.abort();
  });

  it('ends an open stream once its token is revoked, within a heartbeat', async () => {
    const issued = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'viewer' })).body as { id: string; token: string };
    const stream = await openStream(issued.token);
    expect(stream.status).toBe(200);
    const ended = (async () => {
      const reader = stream.response.body!.getReader();
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return Date.now();
    })();
    const revokedAt = Date.now();
    expect((await admin('DELETE', `/v1/tokens/${issued.id}`)).status).toBe(204);
    // The heartbeat is every 15 s; the stream must end by the first one after the revocation.
    expect((await ended) - revokedAt).toBeLessThan(20_000);
  }, 60_000);
});
