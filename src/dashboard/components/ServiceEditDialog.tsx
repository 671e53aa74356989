import { useState } from 'react';
import { api } from '../api.js';
import type { Service, ServiceWarning } from '../types.js';
import { ConnectionFields, type ConnectionInput } from './ConnectionFields.js';
import { Dialog } from './Dialog.js';
import { SubmissionError, useSubmission } from './Submission.js';

/**
 * Change a service's name, connection or password (PATCH). Only the fields that differ are sent,
 * so a rename alone runs no connection check; a new connection is checked by the API first and
 * its refusal is shown here, word for word. Warnings (duplicate_target) stay on screen after saving.
 */
export function ServiceEditDialog({ service, onClose, onSaved }: { service: Service; onClose: () => void; onSaved: (service: Service, warnings: ServiceWarning[]) => void }) {
  const [name, setName] = useState(service.name);
  const [typed, setTyped] = useState<ConnectionInput>({ ...service.connection, port: String(service.connection.port), password: '' });
  const { host, port, database, user, password } = typed;
  const [skipCheck, setSkipCheck] = useState(false);
  const { busy, error, submit: send } = useSubmission();

  const connection: Record<string, string | number> = {};
  if (host.trim() !== service.connection.host) connection.host = host.trim();
  if (Number(port) !== service.connection.port) connection.port = Number(port);
  if (database.trim() !== service.connection.database) connection.database = database.trim();
  if (user.trim() !== service.connection.user) connection.user = user.trim();
  if (password !== '') connection.password = password;
  const changes = { ...(name.trim() !== service.name ? { name: name.trim() } : {}), ...(Object.keys(connection).length > 0 ? { connection } : {}) };
  const changesConnection = 'connection' in changes;

  const submit = async () => {
    await send(async () => {
      const saved = await api<Service & { warnings: ServiceWarning[] }>('PATCH', `/v1/services/${service.id}${changesConnection && skipCheck ? '?skipCheck=true' : ''}`, changes);
      const { warnings, ...updated } = saved;
      onSaved(updated, warnings);
      onClose();
    });
  };

  return (
    <Dialog title={`Edit ${service.name}`} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <p>
          <label htmlFor="edit-name">Name</label>
          <input id="edit-name" value={name} onChange={(event) => setName(event.target.value)} maxLength={63} required />
        </p>
        <ConnectionFields
          idPrefix="edit"
          value={typed}
          onChange={setTyped}
          passwordLabel="New password"
          passwordHint="Leave empty to keep the current one (it is never shown)."
          skipCheck={skipCheck}
          onSkipCheck={setSkipCheck}
          skipCheckLabel="Save without checking the new connection first"
        />
        <SubmissionError error={error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={Object.keys(changes).length === 0 || busy} aria-busy={busy}>
            {busy && changesConnection && !skipCheck ? 'Checking…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
