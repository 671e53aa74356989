import { useEffect, useState } from 'react';
import { api, followEvents } from '../api.js';
import { RegisterServiceDialog } from '../components/RegisterServiceDialog.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { engineOf } from '../engines.js';
import { age, when } from '../format.js';
import type { Capabilities, ProjectRole, ServiceStatus, ServiceWarning } from '../types.js';

/**
 * Every service with its engine, its last good backup (red when overdue), the next run and the
 * latest attempt; owners register new ones here (the API decides whether their role may).
 */
export function Services({ projectId, capabilities, role }: { projectId: string; capabilities: Capabilities; role: ProjectRole | null }) {
  const [statuses, setStatuses] = useState<ServiceStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [registering, setRegistering] = useState(false);
  const [registered, setRegistered] = useState<{ name: string; warnings: ServiceWarning[] } | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const load = () =>
      api<{ services: ServiceStatus[] }>('GET', `/v1/projects/${projectId}/service-status`).then(
        (result) => setStatuses(result.services),
        (failure: Error) => setError(failure.message),
      );
    void load();
    return followEvents(() => void load());
  }, [projectId, reload]);

  if (error) return <p className="error">{error}</p>;
  if (!statuses) return <p aria-busy="true">Loading…</p>;
  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services</h1>
      {role === 'owner' && (
        <div className="toolbar">
          <button type="button" onClick={() => setRegistering(true)}>
            Register a service…
          </button>
        </div>
      )}
      {registered && (
        <div role="status">
          <p>Registered {registered.name}.</p>
          {registered.warnings.map((warning) => (
            <p key={`${warning.code}-${warning.serviceId}`} className="warning">
              Warning ({warning.code}): {warning.message}
            </p>
          ))}
        </div>
      )}
      {statuses.length === 0 && <p>No services yet. Register one here, through the API or with `lifeboat services add`.</p>}
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
              <td data-label="Engine">{engineOf(capabilities, status.service.engine).label}</td>
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
      {registering && (
        <RegisterServiceDialog
          projectId={projectId}
          capabilities={capabilities}
          onClose={() => setRegistering(false)}
          onRegistered={(service, warnings) => {
            setRegistered({ name: service.name, warnings });
            setReload((count) => count + 1);
          }}
        />
      )}
    </section>
  );
}
