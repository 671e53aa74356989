import { useState } from 'react';
import { api } from '../api.js';
import { engineOf, portToSend } from '../engines.js';
import type { Capabilities, Service, ServiceWarning } from '../types.js';
import { ConnectionFields, type ConnectionInput } from './ConnectionFields.js';
import { Dialog } from './Dialog.js';
import { SubmissionError, useSubmission } from './Submission.js';

/**
 * Register a service of the project (POST /v1/projects/:id/services): the engines offered are the
 * ones the capabilities answer lists, and an empty port is sent as the chosen engine's own. The
 * API checks the connection first unless told not to; its refusal (the pre-flight's failure code,
 * or a role that may not register) is shown with its code, and nothing is saved.
 */
export function RegisterServiceDialog({
  projectId,
  capabilities,
  onClose,
  onRegistered,
}: {
  projectId: string;
  capabilities: Capabilities;
  onClose: () => void;
  onRegistered: (service: Service, warnings: ServiceWarning[]) => void;
}) {
  const [name, setName] = useState('');
  const [engine, setEngine] = useState(capabilities.engines[0]?.name ?? '');
  const [typed, setTyped] = useState<ConnectionInput>({ host: '', port: '', database: '', user: '', password: '' });
  const [skipCheck, setSkipCheck] = useState(false);
  const { busy, error, submit: send } = useSubmission({ withCode: true });
  const { defaultPort } = engineOf(capabilities, engine);
  const port = portToSend(typed.port, defaultPort);

  const submit = async () => {
    await send(async () => {
      const connection = { host: typed.host.trim(), ...(port === undefined || port === null ? {} : { port }), database: typed.database.trim(), user: typed.user.trim(), password: typed.password };
      const saved = await api<Service & { warnings: ServiceWarning[] }>('POST', `/v1/projects/${encodeURIComponent(projectId)}/services${skipCheck ? '?skipCheck=true' : ''}`, { name: name.trim(), engine, connection });
      const { warnings, ...service } = saved;
      onRegistered(service, warnings);
      onClose();
    });
  };

  return (
    <Dialog title="Register a service" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <p>
          <label htmlFor="register-name">Name</label>
          <input id="register-name" value={name} onChange={(event) => setName(event.target.value)} maxLength={63} required />
        </p>
        <ConnectionFields
          idPrefix="register"
          value={typed}
          onChange={setTyped}
          portPlaceholder={defaultPort === null ? '' : String(defaultPort)}
          passwordLabel="Password"
          skipCheck={skipCheck}
          onSkipCheck={setSkipCheck}
          skipCheckLabel="Save without checking the connection"
        >
          <p>
            <label htmlFor="register-engine">Engine</label>
            <select id="register-engine" value={engine} onChange={(event) => setEngine(event.target.value)}>
              {capabilities.engines.map((candidate) => (
                <option key={candidate.name} value={candidate.name}>
                  {candidate.label}
                </option>
              ))}
            </select>
          </p>
        </ConnectionFields>
        <SubmissionError error={error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy || port === null || engine === ''} aria-busy={busy}>
            {busy && !skipCheck ? 'Checking…' : 'Register'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
