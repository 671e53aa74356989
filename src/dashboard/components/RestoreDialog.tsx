import { useState } from 'react';
import { api } from '../api.js';
import type { Backup, Restore, Service } from '../types.js';
import { Dialog } from './Dialog.js';
import { SubmissionError, useSubmission } from './Submission.js';

/** Restore into a new database, or over the service after typing its name. */
export function RestoreDialog({ backup, service, onClose, onStarted }: { backup: Backup; service: Service; onClose: () => void; onStarted: (restore: Restore) => void }) {
  const [kind, setKind] = useState<'new_database' | 'in_place'>('new_database');
  const [database, setDatabase] = useState(`${service.connection.database}_restored`);
  const [confirm, setConfirm] = useState('');
  const { busy, error, submit: send } = useSubmission();
  const ready = kind === 'new_database' ? database.trim() !== '' : confirm === service.name;
  const submit = async () => {
    await send(async () => {
      const target = kind === 'new_database' ? { kind, database: database.trim() } : { kind, confirm };
      onStarted(await api<Restore>('POST', `/v1/backups/${backup.id}/restores`, { target }));
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
            <input type="radio" name="kind" value="new_database" checked={kind === 'new_database'} onChange={() => setKind('new_database')} /> A new database on the same server
          </label>
          <label>
            <input type="radio" name="kind" value="in_place" checked={kind === 'in_place'} onChange={() => setKind('in_place')} /> Over {service.name} itself (a safety backup is taken first)
          </label>
        </fieldset>
        {kind === 'new_database' ? (
          <p>
            <label htmlFor="restore-database">New database name</label>
            <input id="restore-database" value={database} onChange={(event) => setDatabase(event.target.value)} pattern="[A-Za-z_][A-Za-z0-9_]*" maxLength={63} required />
          </p>
        ) : (
          <p>
            <label htmlFor="restore-confirm">
              Type <strong>{service.name}</strong> to overwrite its data
            </label>
            <input id="restore-confirm" value={confirm} onChange={(event) => setConfirm(event.target.value)} autoComplete="off" />
          </p>
        )}
        <SubmissionError error={error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={!ready || busy}>
            Restore
          </button>
        </div>
      </form>
    </Dialog>
  );
}
