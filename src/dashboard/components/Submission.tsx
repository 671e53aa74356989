import { useState } from 'react';
import { ApiError } from '../api.js';

/**
 * What every dialog that sends something needs: busy while it runs (so it is not sent twice),
 * and the API's own message when it fails, shown where the person is looking; `withCode` puts the
 * API's failure code before it (auth_failed: …), where the code is what a person looks up.
 */
export function useSubmission(options: { withCode?: boolean } = {}): { busy: boolean; error: string | null; submit: (action: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof ApiError ? (options.withCode ? `${failure.code}: ${failure.message}` : failure.message) : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

/** A submission's failure, announced to screen readers too. */
export function SubmissionError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}
