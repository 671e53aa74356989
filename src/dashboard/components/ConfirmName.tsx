/**
 * The type-the-name guard in front of every action that destroys data (restore over a database,
 * purge): the person types the name of what is lost, so a slip of the mouse cannot do it. The
 * caller enables its button with `confirmed(value, name)`, the same exact comparison the API makes.
 */
export function ConfirmName({ id, name, consequence, value, onChange }: { id: string; name: string; consequence: string; value: string; onChange: (value: string) => void }) {
  return (
    <p>
      <label htmlFor={id}>
        Type <strong>{name}</strong> to {consequence}
      </label>
      <input id={id} value={value} onChange={(event) => onChange(event.target.value)} autoComplete="off" spellCheck={false} />
    </p>
  );
}

/** Exact, as the API compares it: no trimming or case folding that would let a near-miss through. */
export function confirmed(value: string, name: string): boolean {
  return value === name;
}
