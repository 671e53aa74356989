import { useEffect, useState } from 'react';
import { api, followEvents } from '../api.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { age, when } from '../format.js';
import type { ServiceStatus } from '../types.js';

/** Every service with its last good backup (red when overdue), the next run and the latest attempt. */
export function Services({ projectId }: { projectId: string }) {
  const [statuses, setStatuses] = useState<ServiceStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const load = () =>
      api<{ services: ServiceStatus[] }>('GET', `/v1/projects/${projectId}/service-status`).then(
        (result) => setStatuses(result.services),
        (failure: Error) => setError(failure.message),
      );
    void load();
    return followEvents(() => void load());
  }, [projectId]);

  if (error) return <p className="error">{error}</p>;
  if (!statuses) return <p aria-busy="true">Loading…</p>;
  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services</h1>
      {statuses.length === 0 && <p>No services yet. Register one through the API or `lifeboat services add`.</p>}
      <table className="cards">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Engine</th>
            <th scope="col">Last good backup</th>
            <th scope="col">Next run</th>
            <th scope="col">Latest</th>
          </tr>
        </thead>
        <tbody>
          {statuses.map((status) => (
            <tr key={status.service.id}>
              <td data-label="Service">
                <a href={`#/services/${status.service.id}`}>{status.service.name}</a>
              </td>
              <td data-label="Engine">{status.service.engine}</td>
              <td data-label="Last good backup" className={status.stale ? 'stale' : undefined}>
                {age(status.lastSuccess?.finishedAt ?? null)}
                {status.stale && <span className="stale-note"> — overdue for its schedule</span>}
              </td>
              <td data-label="Next run">{status.schedule ? when(status.schedule.nextRunAt, status.schedule.timezone) : 'not scheduled'}</td>
              <td data-label="Latest">{status.latest ? <StatusBadge status={status.latest.status} /> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a href="#/archived">Archived services</a>
      </p>
    </section>
  );
}
