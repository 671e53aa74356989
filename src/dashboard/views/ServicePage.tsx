import { useEffect, useState } from 'react';
import { api, ApiError, followEvents } from '../api.js';
import { BackupsTable } from '../components/BackupsTable.js';
import { ContentsDialog } from '../components/ContentsDialog.js';
import { Dialog } from '../components/Dialog.js';
import { RestoreDialog } from '../components/RestoreDialog.js';
import { ScheduleEditor } from '../components/ScheduleEditor.js';
import { ServiceEditDialog } from '../components/ServiceEditDialog.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { drillsRefusal, engineOf } from '../engines.js';
import { shortId, when } from '../format.js';
import { type Backup, type Capabilities, inProgress, type ProjectRole, type Restore, type Service, type ServiceWarning } from '../types.js';
import { SubmissionError, useSubmission } from '../components/Submission.js';

function upsert<T extends { id: string }>(list: T[], item: T, newestFirst: (a: T, b: T) => number): T[] {
  const rest = list.filter((existing) => existing.id !== item.id);
  return [...rest, item].sort(newestFirst);
}

/** One service: back it up, watch its backups live, fetch, restore, set its schedule, edit or archive it. */
export function ServicePage({ projectId, serviceId, capabilities, role }: { projectId: string; serviceId: string; capabilities: Capabilities; role: ProjectRole | null }) {
  const [service, setService] = useState<Service | null>(null);
  const [backups, setBackups] = useState<Backup[]>([]);
  const [restores, setRestores] = useState<Restore[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [inspecting, setInspecting] = useState<Backup | null>(null);
  const [editing, setEditing] = useState(false);
  const [archiving, setArchiving] = useState(false);
  const [warnings, setWarnings] = useState<ServiceWarning[]>([]);

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const [found, list, restoreList] = await Promise.all([
          api<Service>('GET', `/v1/services/${serviceId}`),
          api<{ backups: Backup[] }>('GET', `/v1/services/${serviceId}/backups?limit=50`),
          api<{ restores: Restore[] }>('GET', `/v1/services/${serviceId}/restores`),
        ]);
        if (!live) return;
        setService(found);
        setBackups(list.backups);
        setRestores(restoreList.restores);
      } catch (failure) {
        setError(failure instanceof ApiError ? failure.message : String(failure));
      }
    })();
    const stop = followEvents((type, data) => {
      if (type === 'backup' && (data as Backup).serviceId === serviceId) setBackups((list) => upsert(list, data as Backup, (a, b) => b.requestedAt.localeCompare(a.requestedAt)));
      // A restore over another service is that service's, but one started here stays followed here.
      if (type === 'restore')
        setRestores((list) => ((data as Restore).serviceId === serviceId || list.some((restore) => restore.id === (data as Restore).id) ? upsert(list, data as Restore, (a, b) => b.requestedAt.localeCompare(a.requestedAt)) : list));
    });
    return () => {
      live = false;
      stop();
    };
  }, [serviceId]);

  if (!service) return error ? <p className="error">{error}</p> : <p aria-busy="true">Loading…</p>;
  const engine = engineOf(capabilities, service.engine);
  const drillsWhyNot = drillsRefusal(engine);
  const verify = (backup: Backup) =>
    void api<Backup>('POST', `/v1/backups/${backup.id}/verify`).then(
      (updated) => setBackups((list) => upsert(list, updated, (a, b) => b.requestedAt.localeCompare(a.requestedAt))),
      (failure: Error) => setError(failure.message),
    );
  const running = backups.find((backup) => inProgress(backup.status)) ?? null;
  const restoreRunning = restores.find((restore) => inProgress(restore.status)) ?? null;
  // What stops a restore stops a backup too; an archived service is only never backed up again:
  // its backups still restore (the dialog offers a new database or another service, not itself).
  const restoreBlockedBecause = service.blocked
    ? `This service cannot be backed up or restored: ${service.blocked.message}.`
    : !capabilities.backups.available
      ? `Backups are unavailable: ${capabilities.backups.reason ?? ''}`
      : running
        ? 'A backup of this service is already running.'
        : restoreRunning
          ? 'A restore of this service is running.'
          : null;
  const backupBlockedBecause = service.archivedAt ? 'This service is archived: its backups can still be downloaded, and restored into a new database or over another service.' : restoreBlockedBecause;

  return (
    <>
      <p>
        <a href="#/">← All services</a>
      </p>
      <h1>{service.name}</h1>
      <p className="muted">
        {engine.label} · {service.connection.user}@{service.connection.host}:{service.connection.port}/{service.connection.database}
        {service.archivedAt && <> · archived {when(service.archivedAt)}</>}
      </p>
      {service.duplicateOf && (
        <p>
          <span className="badge badge-expiring">duplicate target</span>{' '}
          <a href={`#/services/${service.duplicateOf}`}>Another service</a> of this project backs up the same database: usually a mistake.
        </p>
      )}
      {warnings.map((warning) => (
        <p key={`${warning.code}-${warning.serviceId}`} className="warning" role="status">
          Warning: {warning.message}
        </p>
      ))}
      <div className="toolbar">
        <button
          type="button"
          disabled={backupBlockedBecause !== null}
          aria-describedby="backup-now-why"
          onClick={() =>
            void api<Backup>('POST', `/v1/services/${serviceId}/backups`).then(
              (created) => setBackups((list) => upsert(list, created, (a, b) => b.requestedAt.localeCompare(a.requestedAt))),
              (failure: Error) => setError(failure.message),
            )
          }
        >
          Back up now
        </button>
        {role === 'owner' && !service.archivedAt && (
          <>
            <button type="button" className="secondary" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="danger" disabled={running !== null || restoreRunning !== null} onClick={() => setArchiving(true)}>
              Archive…
            </button>
          </>
        )}
        <span id="backup-now-why" className="muted">
          {backupBlockedBecause}
        </span>
      </div>
      <SubmissionError error={error} />
      <section aria-labelledby="backups-title">
        <h2 id="backups-title">Backups</h2>
        {drillsWhyNot && (
          <p id="drills-why" className="muted drills-note" role="note">
            {drillsWhyNot}
          </p>
        )}
        <BackupsTable
          backups={backups}
          actions={{
            onRestore: setRestoring,
            onContents: setInspecting,
            onVerify: drillsWhyNot === null ? verify : undefined,
            hasContents: engine.capabilities.contents,
            onError: setError,
            canAct: role !== 'viewer',
            restoreBlockedBecause,
            canDelete: role === 'owner',
          }}
        />
      </section>
      <section aria-labelledby="restores-title">
        <h2 id="restores-title">Restores</h2>
        {restores.length === 0 ? (
          <p>No restores yet.</p>
        ) : (
          <table className="cards restores">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Target</th>
                <th scope="col">Requested</th>
                <th scope="col">Backup</th>
              </tr>
            </thead>
            <tbody>
              {restores.map((restore) => (
                <tr key={restore.id} data-restore-id={restore.id}>
                  <td data-label="Status">
                    <StatusBadge status={restore.status} />
                    {restore.failure && <p className="failure">{restore.failure.message}</p>}
                  </td>
                  <td data-label="Target">
                    {restore.target.kind === 'new_database' ? `new database ${restore.target.database}` : restore.target.kind === 'service' ? restore.target.serviceId === serviceId ? "this service, from another one's backup" : <a href={`#/services/${restore.target.serviceId}`}>another service</a> : 'in place'}
                  </td>
                  <td data-label="Requested" className="nowrap">{when(restore.requestedAt)}</td>
                  <td data-label="Backup">
                    <a href={`#/backups/${restore.backupId}`} className="nowrap" title={restore.backupId}>
                      <code>{shortId(restore.backupId)}</code>
                    </a>
                    {restore.safetyBackupId && (
                      <>
                        {' '}
                        (safety backup{' '}
                        <a href={`#/backups/${restore.safetyBackupId}`} className="nowrap" title={restore.safetyBackupId}>
                          <code>{shortId(restore.safetyBackupId)}</code>
                        </a>
                        )
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <ScheduleEditor projectId={projectId} serviceId={serviceId} canEdit={role === 'owner'} drillsWhyNot={drillsWhyNot} />
      {restoring && (
        <RestoreDialog backup={restoring} service={service} engine={engine} onClose={() => setRestoring(null)} onStarted={(restore) => setRestores((list) => upsert(list, restore, (a, b) => b.requestedAt.localeCompare(a.requestedAt)))} />
      )}
      {inspecting && <ContentsDialog backupId={inspecting.id} engineLabel={engine.label} onClose={() => setInspecting(null)} />}
      {editing && (
        <ServiceEditDialog
          service={service}
          onClose={() => setEditing(false)}
          onSaved={(updated, given) => {
            setService(updated);
            setWarnings(given);
          }}
        />
      )}
      {archiving && <ArchiveDialog service={service} onClose={() => setArchiving(false)} onArchived={() => setService({ ...service, archivedAt: new Date().toISOString(), duplicateOf: null })} />}
    </>
  );
}

function ArchiveDialog({ service, onClose, onArchived }: { service: Service; onClose: () => void; onArchived: () => void }) {
  const { busy, error, submit: send } = useSubmission();
  const archive = async () => {
    await send(async () => {
      await api('DELETE', `/v1/services/${service.id}`);
      onArchived();
      onClose();
    });
  };
  return (
    <Dialog title={`Archive ${service.name}`} onClose={onClose}>
      <p>
        {service.name} leaves the catalog and its schedule, and its name is free again. Its backups stay: they can still be downloaded and restored, from <a href="#/archived">Archived services</a>.
      </p>
      <SubmissionError error={error} />
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void archive()}>
          Archive
        </button>
      </div>
    </Dialog>
  );
}
