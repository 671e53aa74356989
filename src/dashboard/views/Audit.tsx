import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api.js';
import { shortId, when } from '../format.js';

interface Entry {
  id: string;
  actor: string;
  action: string;
  target: { kind: string; id: string };
  targetName: string | null;
  at: string;
}

interface Page {
  entries: Entry[];
  nextCursor: string | null;
}

const actions = [
  'backup.requested',
  'backup.succeeded',
  'backup.failed',
  'backup.canceled',
  'backup.deleted',
  'backup.expired',
  'backup.download_url_issued',
  'backup.verified',
  'backup.verification_failed',
  'restore.requested',
  'restore.succeeded',
  'restore.failed',
  'service.registered',
  'service.removed',
  'schedule.set',
  'schedule.removed',
  'token.issued',
  'token.revoked',
  'webhook.created',
  'webhook.deleted',
];

interface Filters {
  action: string;
  targetId: string;
  actor: string;
  since: string;
  until: string;
}

const noFilters: Filters = { action: '', targetId: '', actor: '', since: '', until: '' };
const pageSize = 50;

/** The query GET /v1/audit takes; times typed in the browser's timezone go as ISO 8601. */
function query(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams({ limit: String(pageSize) });
  if (filters.action) params.set('action', filters.action);
  if (filters.targetId.trim()) params.set('targetId', filters.targetId.trim());
  if (filters.actor.trim()) params.set('actor', filters.actor.trim());
  if (filters.since) params.set('since', new Date(filters.since).toISOString());
  if (filters.until) params.set('until', new Date(filters.until).toISOString());
  if (cursor) params.set('cursor', cursor);
  return `/v1/audit?${params.toString()}`;
}

function objectLink(entry: Entry): string | null {
  if (entry.target.kind === 'backup') return `#/backups/${entry.target.id}`;
  if (entry.target.kind === 'service') return `#/services/${entry.target.id}`;
  return null;
}

/** Who did what, when, to which object: filtered, newest first, a page at a time. */
export function Audit() {
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (applied: Filters, cursor: string | null) => {
    setError(null);
    try {
      const page = await api<Page>('GET', query(applied, cursor));
      setEntries((shown) => (cursor && shown ? [...shown, ...page.entries] : page.entries));
      setNextCursor(page.nextCursor);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }, []);

  useEffect(() => {
    void load(filters, null);
  }, [filters, load]);

  const field = (key: keyof Filters) => ({ id: `audit-${key}`, value: draft[key], onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value }) });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        className="filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters(draft);
        }}
      >
        <p>
          <label htmlFor="audit-action">Action</label>
          <select {...field('action')}>
            <option value="">any</option>
            {actions.map((action) => (
              <option key={action}>{action}</option>
            ))}
          </select>
        </p>
        <p>
          <label htmlFor="audit-targetId">Object id</label>
          <input {...field('targetId')} placeholder="bkp_…, svc_…" autoComplete="off" />
        </p>
        <p>
          <label htmlFor="audit-actor">Actor</label>
          <input {...field('actor')} placeholder="admin, scheduler, token:…" autoComplete="off" />
        </p>
        <p>
          <label htmlFor="audit-since">From</label>
          <input {...field('since')} type="datetime-local" />
        </p>
        <p>
          <label htmlFor="audit-until">Until</label>
          <input {...field('until')} type="datetime-local" />
        </p>
        <p className="toolbar">
          <button type="submit">Filter</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft(noFilters);
              setFilters(noFilters);
            }}
          >
            Clear
          </button>
        </p>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!entries ? (
        <p aria-busy="true">Loading…</p>
      ) : entries.length === 0 ? (
        <p>No entries match.</p>
      ) : (
        <table className="cards audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Object</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => {
              const link = objectLink(entry);
              return (
                <tr key={entry.id} data-audit-id={entry.id}>
                  <td data-label="When" className="nowrap">
                    {when(entry.at)}
                  </td>
                  <td data-label="Who">{entry.actor}</td>
                  <td data-label="What">{entry.action}</td>
                  <td data-label="Object">
                    {entry.targetName ?? entry.target.kind}{' '}
                    {link ? (
                      <a href={link} title={entry.target.id} className="nowrap">
                        <code>{shortId(entry.target.id)}</code>
                      </a>
                    ) : (
                      <code>{entry.target.id}</code>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {nextCursor && (
        <p>
          <button type="button" className="secondary" onClick={() => void load(filters, nextCursor)}>
            Older entries
          </button>
        </p>
      )}
    </section>
  );
}
