import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { type EngineView, wholeDatabaseReplaced } from '../engines.js';
import { type OverwriteTarget, useRestorePlan } from '../restore-plan.js';
import { inPlaceRefusal, otherServiceRefusal, otherServiceTargets } from '../restore-targets.js';
import type { Backup, Restore, Service } from '../types.js';
import { ConfirmName, confirmed } from './ConfirmName.js';
import { Dialog } from './Dialog.js';
import { RestorePlanNote } from './RestorePlanNote.js';
import { SubmissionError, useSubmission } from './Submission.js';

type Kind = 'new_database' | 'in_place' | 'service';

/** The project's active services the backup could overwrite; undefined while they load. */
function useOtherServices({ projectId, serviceId }: Backup, engine: string): { targets: Service[] | undefined; failure: string | null } {
  const [targets, setTargets] = useState<Service[] | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api<{ services: Service[] }>('GET', `/v1/projects/${projectId}/services`).then(
      (result) => current && setTargets(otherServiceTargets(result.services, { serviceId }, engine)),
      (error: Error) => current && setFailure(error.message),
    );
    return () => {
      current = false;
    };
  }, [projectId, serviceId, engine]);
  return { targets, failure };
}

/**
 * Restore into a new database, over the backup's own service, or over another service of the
 * project; the last two after typing the overwritten service's name, with what they would drop
 * shown as soon as the target is chosen when the engine can tell (restorePlan), else what an
 * overwrite does, said plainly. Options that cannot apply (the engine's capabilities, an archived
 * service, no other service) stay visible, disabled, with why.
 */
export function RestoreDialog({ backup, service, engine, onClose, onStarted }: { backup: Backup; service: Service; engine: EngineView; onClose: () => void; onStarted: (restore: Restore) => void }) {
  const { restoreInPlace, restoreNewDatabase, restorePlan } = engine.capabilities;
  const [kind, setKind] = useState<Kind>(restoreNewDatabase || !restoreInPlace ? 'new_database' : 'in_place');
  const [database, setDatabase] = useState(`${service.connection.database}_restored`);
  const [targetId, setTargetId] = useState<string | null>(null);
  const [confirm, setConfirm] = useState('');
  const [safetyBackup, setSafetyBackup] = useState(true);
  const { busy, error, submit: send } = useSubmission();
  const others = useOtherServices(backup, service.engine);
  const overwriteWhyNot = restoreInPlace ? null : `${engine.label} backups cannot be restored over an existing database here`;
  const newWhyNot = restoreNewDatabase ? null : `${engine.label} backups cannot be restored into a new database here`;
  const inPlaceWhyNot = overwriteWhyNot ?? inPlaceRefusal(service);
  const otherWhyNot = overwriteWhyNot ?? otherServiceRefusal(others.targets, others.failure);
  const target = others.targets?.find((candidate) => candidate.id === targetId) ?? others.targets?.[0] ?? null;
  const overwritten = kind === 'in_place' ? service : kind === 'service' ? target : null;
  const overwrite: OverwriteTarget | null = kind === 'in_place' ? { kind } : kind === 'service' && target ? { kind, serviceId: target.id } : null;
  // Without restorePlan the API has no plan to give: it is not asked.
  const plan = useRestorePlan(backup.id, restorePlan ? overwrite : null);
  const allowed = (kind === 'new_database' ? newWhyNot : kind === 'in_place' ? inPlaceWhyNot : otherWhyNot) === null;
  const ready = allowed && (overwritten ? confirmed(confirm, overwritten.name) : kind === 'new_database' && database.trim() !== '');

  const choose = (next: Kind) => {
    setKind(next);
    setConfirm('');
  };
  const submit = async () => {
    await send(async () => {
      const body =
        kind === 'new_database' ? { kind, database: database.trim() } : kind === 'in_place' ? { kind, confirm, safetyBackup } : { kind, serviceId: target?.id, confirm, safetyBackup };
      onStarted(await api<Restore>('POST', `/v1/backups/${backup.id}/restores`, { target: body }));
      onClose();
    });
  };

  return (
    <Dialog title={`Restore backup from ${new Date(backup.requestedAt).toLocaleString()}`} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <fieldset>
          <legend>Where to</legend>
          <label>
            <input type="radio" name="kind" value="new_database" checked={kind === 'new_database'} disabled={newWhyNot !== null} aria-describedby={newWhyNot ? 'restore-new-why' : undefined} onChange={() => choose('new_database')} /> A new database on the same server
          </label>
          {newWhyNot && (
            <p id="restore-new-why" className="hint">
              {newWhyNot}
            </p>
          )}
          <label>
            <input type="radio" name="kind" value="in_place" checked={kind === 'in_place'} disabled={inPlaceWhyNot !== null} aria-describedby={inPlaceWhyNot ? 'restore-in-place-why' : undefined} onChange={() => choose('in_place')} /> Over {service.name} itself
          </label>
          {inPlaceWhyNot && (
            <p id="restore-in-place-why" className="hint">
              {inPlaceWhyNot}
            </p>
          )}
          <label>
            <input type="radio" name="kind" value="service" checked={kind === 'service'} disabled={otherWhyNot !== null} aria-describedby={otherWhyNot ? 'restore-service-why' : undefined} onChange={() => choose('service')} /> Over another service of this project
          </label>
          {otherWhyNot && (
            <p id="restore-service-why" className="hint">
              {otherWhyNot}
            </p>
          )}
        </fieldset>
        {kind === 'new_database' && newWhyNot === null && (
          <p>
            <label htmlFor="restore-database">New database name</label>
            <input id="restore-database" value={database} onChange={(event) => setDatabase(event.target.value)} pattern="[A-Za-z_][A-Za-z0-9_]*" maxLength={63} required />
          </p>
        )}
        {kind === 'service' && target && (
          <p>
            <label htmlFor="restore-target">Service to overwrite</label>
            <select
              id="restore-target"
              value={target.id}
              onChange={(event) => {
                setTargetId(event.target.value);
                setConfirm('');
              }}
            >
              {others.targets?.map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.name} ({candidate.connection.host}:{candidate.connection.port}/{candidate.connection.database})
                </option>
              ))}
            </select>
          </p>
        )}
        {overwritten && (
          <>
            {restorePlan ? (
              <RestorePlanNote state={plan} />
            ) : (
              <p className="warning restore-replaces" role="status">
                {wholeDatabaseReplaced}
              </p>
            )}
            <label className="inline">
              <input type="checkbox" checked={safetyBackup} onChange={(event) => setSafetyBackup(event.target.checked)} /> Back up {overwritten.name}&apos;s current data first
            </label>
            <ConfirmName id="restore-confirm" name={overwritten.name} consequence="overwrite its data" value={confirm} onChange={setConfirm} />
          </>
        )}
        <SubmissionError error={error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={overwritten ? 'danger' : undefined} disabled={!ready || busy}>
            Restore
          </button>
        </div>
      </form>
    </Dialog>
  );
}
