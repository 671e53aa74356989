import { dropsShown, type PlanState } from '../restore-plan.js';

/** What a restore over a database would drop, as the API answers it; never a reason to stop. */
export function RestorePlanNote({ state }: { state: PlanState | null }) {
  if (!state) return null;
  switch (state.status) {
    case 'checking':
      return (
        <p className="muted restore-plan" role="status" aria-busy="true">
          checking what the restore would drop…
        </p>
      );
    case 'failed':
      return (
        <p className="warning restore-plan" role="status">
          could not tell what the restore would drop: {state.message}
        </p>
      );
    case 'ready': {
      const { names, more } = dropsShown(state.plan.drops);
      return (
        <div className="restore-plan" role="status">
          <p className={names.length > 0 ? 'warning' : undefined}>{state.plan.message}</p>
          {names.length > 0 && (
            <ul>
              {names.map((name) => (
                <li key={name}>{name}</li>
              ))}
              {more > 0 && <li>and {more} more</li>}
            </ul>
          )}
        </div>
      );
    }
  }
}
