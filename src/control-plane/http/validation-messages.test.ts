import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as schemas from './schemas.js';
import { describeIssue, fieldName, type RequestPart, validationMessage } from './validation-messages.js';

/** The message a request part gets, parsed as the API's validator parses it. */
function messageFor(schema: z.ZodType, data: unknown, part: RequestPart = 'body'): string {
  const result = schema.safeParse(data, { error: (issue) => describeIssue(issue, part) });
  if (result.success) throw new Error(`${JSON.stringify(data)} was accepted`);
  return validationMessage(part, result.error.issues);
}

const connection = { host: 'db.internal', port: 5432, database: 'app', user: 'app', password: 'pw' };
const service = (change: Record<string, unknown>, connectionChange: Record<string, unknown> = {}) => ({
  name: 'orders',
  engine: 'postgresql',
  connection: { ...connection, ...connectionChange },
  ...change,
});
const zodWords = /Invalid input|expected \w+, received|Too (big|small)|<=|>=|NaN|Unrecognized key|Invalid option|discriminator/;

describe('validation messages', () => {
  it('says a number field is a whole number in its range, whatever is wrong with it', () => {
    for (const port of ['5432', 70000, 0, 1.5, 1e300, null, true]) {
      expect(messageFor(schemas.newServiceBody, service({}, { port }))).toBe('connection.port must be a whole number from 1 to 65535');
    }
    expect(messageFor(schemas.newTokenBody, { role: 'viewer', expiresInDays: 0 })).toBe('expiresInDays must be a whole number from 1 to 3650');
    expect(messageFor(schemas.scheduleBody, { cron: '0 3 * * *', retention: { keepLast: -1 } })).toBe('retention.keepLast must be a whole number from 0 to 10000');
  });

  it('says a query number is a number even when coercion made it NaN', () => {
    expect(messageFor(schemas.waitQuery, { waitSeconds: 'soon' }, 'querystring')).toBe('waitSeconds must be a whole number from 0 to 60');
    expect(messageFor(schemas.waitQuery, { waitSeconds: '61' }, 'querystring')).toBe('waitSeconds must be a whole number from 0 to 60');
    expect(messageFor(schemas.backupListQuery, { limit: '1.5' }, 'querystring')).toBe('limit must be a whole number from 1 to 200');
  });

  it('names a missing field, and a value of the wrong type by what it must be', () => {
    expect(messageFor(schemas.newServiceBody, { engine: 'postgresql', connection })).toBe('name is required');
    expect(messageFor(schemas.newServiceBody, service({}, { host: 5 }))).toBe('connection.host must be a string');
    expect(messageFor(schemas.scheduleBody, { cron: '0 3 * * *', verify: 'yes' })).toBe('verify must be true or false');
    expect(messageFor(schemas.newWebhookBody, { url: 'https://hooks.example', events: 'backup.failed' })).toBe('events must be an array');
    expect(messageFor(schemas.newServiceBody, service({ connection: 'postgres://x' }))).toBe('connection must be a JSON object');
  });

  it('says what the whole body must be when it is no object', () => {
    for (const body of [null, [], 'text', 5]) expect(messageFor(schemas.newProjectBody, body)).toBe('the body must be a JSON object');
  });

  it('bounds string lengths in characters, and says an empty one must not be', () => {
    expect(messageFor(schemas.newRestoreBody, { target: { kind: 'new_database', database: 'x'.repeat(64) } })).toBe('target.database must be at most 63 characters');
    expect(messageFor(schemas.newRestoreBody, { target: { kind: 'new_database', database: '' } })).toBe('target.database must not be empty');
    expect(messageFor(schemas.newServiceBody, service({}, { password: 'p'.repeat(1025) }))).toBe('connection.password must be at most 1024 characters');
    // Too long for zod and for the name rule alike: told once.
    expect(messageFor(schemas.newServiceBody, service({}, { database: 'd'.repeat(64) }))).toBe('connection.database must be at most 63 characters');
  });

  it('bounds array lengths in items', () => {
    expect(messageFor(schemas.newWebhookBody, { url: 'https://hooks.example', events: [] })).toBe('events must not be empty');
  });

  it('lists the allowed values of an enum or literal, naming an array item by its index', () => {
    expect(messageFor(schemas.newTokenBody, { role: 'god' })).toBe('role must be one of: viewer, member, owner');
    expect(messageFor(schemas.newTokenBody, {})).toBe('role is required (one of: viewer, member, owner)');
    expect(messageFor(schemas.newWebhookBody, { url: 'https://hooks.example', events: ['backup.failed', 'nope'] })).toMatch(/^events\[1\] must be one of: backup\.succeeded, backup\.failed, /);
    expect(messageFor(z.object({ kind: z.literal('in_place') }), { kind: 'other' })).toBe('kind must be in_place');
    expect(messageFor(schemas.backupWaitQuery, { waitFor: 'ever' }, 'querystring')).toBe('waitFor must be one of: end, verification');
  });

  it('names an unknown key of a strict object, and the keys it takes', () => {
    expect(messageFor(schemas.newServiceBody, service({ extra: 1 }))).toBe('the body takes only name, engine, connection, skipUnreadable, excludeTables, but has an unknown field extra');
    expect(messageFor(schemas.newServiceBody, service({}, { sslmode: 'disable' }))).toBe(
      'connection takes only host, port, database, user, password, but has an unknown field sslmode',
    );
    expect(messageFor(schemas.waitQuery, { wait: '5' }, 'querystring')).toBe('the query string takes only waitSeconds, but has an unknown parameter wait');
    expect(messageFor(z.object({}).strict(), { a: 1, b: 2, c: 3, 'd e': 4, f: 5 }, 'querystring')).toBe('the query string takes no parameters, but has unknown parameters a, b, c and 2 more');
    expect(messageFor(schemas.newProjectBody, { name: 'x', ['k\u0000'.repeat(30)]: 1 })).toBe(`the body takes only name, but has an unknown field ${JSON.stringify('k\u0000'.repeat(20))}`);
  });

  it("keeps a format's own message, and words the formats that have none", () => {
    expect(messageFor(schemas.serviceIdParam, { serviceId: 'orders' }, 'params')).toBe('serviceId must be a svc_… id');
    expect(messageFor(schemas.newRestoreBody, { target: { kind: 'new_database', database: '1st' } })).toBe(
      'target.database must be letters, digits and underscores, not starting with a digit',
    );
    expect(messageFor(schemas.newWebhookBody, { url: 'ftp://files.example' })).toBe('url must be an http:// or https:// URL');
    expect(messageFor(schemas.auditQuery, { since: 'yesterday' }, 'querystring')).toBe('since must be a time such as 2026-01-31T12:00:00Z');
    expect(messageFor(schemas.auditQuery, { since: '0000-01-01T00:00:00Z' }, 'querystring')).toBe('since must be a time between 1970 and 9999');
    expect(messageFor(z.object({ homepage: z.url() }), { homepage: 'not a url' })).toBe('homepage must be a URL');
    expect(messageFor(z.object({ code: z.string().regex(/^\d+$/) }), { code: 'x' })).toBe('code is not in the form this field takes');
    expect(messageFor(schemas.idempotencyHeaders, { 'idempotency-key': 'a b' }, 'headers')).toBe('the Idempotency-Key header must be printable ASCII without spaces');
  });

  it('lists the kinds of a discriminated union when the kind is wrong or missing', () => {
    for (const target of [{ kind: 'elsewhere' }, {}, { kind: 5 }]) {
      expect(messageFor(schemas.newRestoreBody, { target })).toBe('target.kind must be one of: new_database, in_place, service');
    }
    expect(messageFor(schemas.newRestoreBody, { target: 'in_place' })).toBe('target must be a JSON object');
    expect(messageFor(schemas.newRestoreBody, { target: { kind: 'in_place', confirm: 'orders', force: true } })).toBe(
      'target takes only kind, confirm, safetyBackup, but has an unknown field force',
    );
  });

  it('words refinements by their own message, and a bare one plainly', () => {
    expect(messageFor(schemas.killSwitchBody, { engaged: true })).toBe('reason is required when engaged is true: say why the kill switch is engaged');
    expect(messageFor(z.object({ n: z.number().multipleOf(5) }), { n: 7 })).toBe('n must be a multiple of 5');
    expect(messageFor(z.object({ n: z.string().refine(() => false) }), { n: 'x' })).toBe('n is not valid');
  });

  it('joins the problems of several fields, one sentence each, and never shows zod wording', () => {
    const message = messageFor(schemas.newServiceBody, { name: 'Bad Name', engine: 'postgresql', connection: { ...connection, port: 'x', user: '', extra: 1 } });
    expect(message.split('; ')).toEqual([
      'name must be 1-63 lower-case letters, digits or dashes, not starting or ending with a dash',
      'connection.port must be a whole number from 1 to 65535',
      'connection.user must not be empty',
      'connection takes only host, port, database, user, password, but has an unknown field extra',
    ]);
    expect(message).not.toMatch(zodWords);
  });

  it('caps a long list of problems', () => {
    const many = z.object(Object.fromEntries(Array.from({ length: 15 }, (_, index) => [`f${index}`, z.string()])));
    const message = messageFor(many, {});
    expect(message.split('; ')).toHaveLength(11);
    expect(message).toMatch(/; and 5 more problems$/);
  });

  it('names fields as a person would', () => {
    expect(fieldName('body', ['target', 'database'])).toBe('target.database');
    expect(fieldName('body', ['events', 2])).toBe('events[2]');
    expect(fieldName('params', ['backupId'])).toBe('backupId');
    expect(fieldName('headers', ['idempotency-key'])).toBe('the Idempotency-Key header');
    expect(fieldName('querystring', [])).toBe('the query string');
  });
});
