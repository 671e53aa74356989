import type { ReactNode } from 'react';

/** A service's connection as typed: strings, so an empty port can mean "the engine's own". */
export interface ConnectionInput {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
}

/**
 * The connection fields of registering and of editing a service, one set for both: host, port,
 * database, user, password (never shown back), and the choice to save without the check.
 */
export function ConnectionFields({
  idPrefix,
  value,
  onChange,
  portPlaceholder,
  passwordLabel,
  passwordHint,
  skipCheck,
  onSkipCheck,
  skipCheckLabel,
  children,
}: {
  idPrefix: string;
  value: ConnectionInput;
  onChange: (value: ConnectionInput) => void;
  /** Shown in an empty port field: what is sent when it stays empty. */
  portPlaceholder?: string;
  passwordLabel: string;
  passwordHint?: string;
  skipCheck: boolean;
  onSkipCheck: (skip: boolean) => void;
  skipCheckLabel: string;
  /** Fields shown before the host (the engine, at registration). */
  children?: ReactNode;
}) {
  const field = (key: keyof ConnectionInput) => ({ id: `${idPrefix}-${key}`, value: value[key], onChange: (event: { target: { value: string } }) => onChange({ ...value, [key]: event.target.value }) });
  return (
    <fieldset>
      <legend>Connection</legend>
      {children}
      <div className="grid">
        <p>
          <label htmlFor={`${idPrefix}-host`}>Host</label>
          <input {...field('host')} required />
        </p>
        <p>
          <label htmlFor={`${idPrefix}-port`}>Port</label>
          <input {...field('port')} inputMode="numeric" pattern="[0-9]{1,5}" placeholder={portPlaceholder} required={portPlaceholder === undefined} />
        </p>
        <p>
          <label htmlFor={`${idPrefix}-database`}>Database</label>
          <input {...field('database')} required />
        </p>
        <p>
          <label htmlFor={`${idPrefix}-user`}>User</label>
          <input {...field('user')} required />
        </p>
      </div>
      <p>
        <label htmlFor={`${idPrefix}-password`}>{passwordLabel}</label>
        <input {...field('password')} type="password" autoComplete="new-password" aria-describedby={passwordHint ? `${idPrefix}-password-hint` : undefined} />
        {passwordHint && (
          <span id={`${idPrefix}-password-hint`} className="hint">
            {passwordHint}
          </span>
        )}
      </p>
      <label className="inline">
        <input type="checkbox" checked={skipCheck} onChange={(event) => onSkipCheck(event.target.checked)} /> {skipCheckLabel}
      </label>
    </fieldset>
  );
}
