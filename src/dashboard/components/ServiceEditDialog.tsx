import { useState } from 'react';
import { api } from '../api.js';
import type { Service, ServiceWarning } from '../types.js';
import { Dialog } from './Dialog.js';
import { SubmissionError, useSubmission } from './Submission.js';

/**
 * Change a service's name, connection or password (PATCH). Only the fields that differ are sent,
 * so a rename alone runs no connection check; a new connection is checked by the API first and
 * its refusal is shown here, word for word. Warnings (duplicate_target) stay on screen after saving.
 */
export function ServiceEditDialog({ service, onClose, onSaved }: { service: Service; onClose: () => void; onSaved: (service: Service, warnings: ServiceWarning[]) => void }) {
  const [name, setName] = useState(service.name);
  const [host, setHost] = useState(service.connection.host);
  const [port, setPort] = useState(String(service.connection.port));
  const [database, setDatabase] = useState(service.connection.database);
  const [user, setUser] = useState(service.connection.user);
  const [password, setPassword] = useState('');
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
        <fieldset>
          <legend>Connection</legend>
          <div className="grid">
            <p>
              <label htmlFor="edit-host">Host</label>
              <input id="edit-host" value={host} onChange={(event) => setHost(event.target.value)} required />
            </p>
            <p>
              <label htmlFor="edit-port">Port</label>
              <input id="edit-port" value={port} onChange={(event) => setPort(event.target.value)} inputMode="numeric" pattern="[0-9]{1,5}" required />
            </p>
            <p>
              <label htmlFor="edit-database">Database</label>
              <input id="edit-database" value={database} onChange={(event) => setDatabase(event.target.value)} required />
            </p>
            <p>
              <label htmlFor="edit-user">User</label>
              <input id="edit-user" value={user} onChange={(event) => setUser(event.target.value)} required />
            </p>
          </div>
          <p>
            <label htmlFor="edit-password">New password</label>
            <input id="edit-password" type="password" value={password} onChange={(event) => setPassword(event.target.value)} autoComplete="new-password" aria-describedby="edit-password-hint" />
            <span id="edit-password-hint" className="hint">
              Leave empty to keep the current one (it is never shown).
            </span>
          </p>
          <label className="inline">
            <input type="checkbox" checked={skipCheck} onChange={(event) => setSkipCheck(event.target.checked)} /> Save without checking the new connection first
          </label>
        </fieldset>
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
