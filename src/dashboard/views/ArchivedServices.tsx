import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { ConfirmName, confirmed } from '../components/ConfirmName.js';
import { Dialog } from '../components/Dialog.js';
import { when } from '../format.js';
import type { ProjectRole, Service } from '../types.js';
import { SubmissionError, useSubmission } from '../components/Submission.js';

/** Archived services: each page keeps its backups downloadable and restorable; owners can purge them for good. */
export function ArchivedServices({ projectId, role }: { projectId: string; role: ProjectRole | null }) {
  const [services, setServices] = useState<Service[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [purging, setPurging] = useState<Service | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    api<{ services: Service[] }>('GET', `/v1/projects/${projectId}/services?archived=true`).then(
      (result) => setServices(result.services),
      (failure: Error) => setError(failure.message),
    );
  }, [projectId]);

  if (error) return <p className="error">{error}</p>;
  if (!services) return <p aria-busy="true">Loading…</p>;
  return (
    <section aria-labelledby="archived-title">
      <p>
        <a href="#/">← All services</a>
      </p>
      <h1 id="archived-title">Archived services</h1>
      <p className="muted">Out of the catalog and their schedules; their backups can still be downloaded and restored.</p>
      {notice && (
        <p role="status" className="muted">
          {notice}
        </p>
      )}
      {services.length === 0 ? (
        <p>No archived services.</p>
      ) : (
        <table className="cards">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Connection</th>
              <th scope="col">Archived</th>
              {role === 'owner' && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {services.map((service) => (
              <tr key={service.id} data-service-id={service.id}>
                <td data-label="Service">
                  <a href={`#/services/${service.id}`}>{service.name}</a>
                </td>
                <td data-label="Connection">
                  {service.connection.user}@{service.connection.host}:{service.connection.port}/{service.connection.database}
                </td>
                <td data-label="Archived" className="nowrap">
                  {when(service.archivedAt)}
                </td>
                {role === 'owner' && (
                  <td data-label="Actions">
                    <button type="button" className="danger" onClick={() => setPurging(service)}>
                      Purge…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {purging && (
        <PurgeDialog
          service={purging}
          onClose={() => setPurging(null)}
          onPurged={(counts) => {
            setServices((list) => (list ?? []).filter((service) => service.id !== purging.id));
            setNotice(`Purged ${purging.name}: ${counts.backups} backups removed.`);
          }}
        />
      )}
    </section>
  );
}

function PurgeDialog({ service, onClose, onPurged }: { service: Service; onClose: () => void; onPurged: (counts: { backups: number; artifacts: number }) => void }) {
  const [confirm, setConfirm] = useState('');
  const { busy, error, submit: send } = useSubmission();
  const submit = async () => {
    await send(async () => {
      const { purged } = await api<{ purged: { backups: number; artifacts: number } }>('DELETE', `/v1/services/${service.id}?purge=true&confirm=${encodeURIComponent(confirm)}`);
      onPurged(purged);
      onClose();
    });
  };
  return (
    <Dialog title={`Purge ${service.name}`} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <p>Every backup of {service.name} is deleted for good. This cannot be undone.</p>
        <ConfirmName id="purge-confirm" name={service.name} consequence="purge it" value={confirm} onChange={setConfirm} />
        <SubmissionError error={error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={!confirmed(confirm, service.name) || busy}>
            Purge
          </button>
        </div>
      </form>
    </Dialog>
  );
}
