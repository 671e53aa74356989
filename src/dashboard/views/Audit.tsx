import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { when } from '../format.js';

interface Entry {
  id: string;
  actor: string;
  action: string;
  target: { kind: string; id: string };
  at: string;
}

/** Who did what, when, to which object. */
export function Audit() {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  useEffect(() => {
    void api<{ entries: Entry[] }>('GET', '/v1/audit?limit=200').then((result) => setEntries(result.entries));
  }, []);
  if (!entries) return <p aria-busy="true">Loading…</p>;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <table className="cards">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Object</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td data-label="When">{when(entry.at)}</td>
              <td data-label="Who">{entry.actor}</td>
              <td data-label="What">{entry.action}</td>
              <td data-label="Object">
                {entry.target.kind} <code>{entry.target.id}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
