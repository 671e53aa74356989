import { useState } from 'react';

export function SignIn({ onSubmit, error }: { onSubmit: (token: string) => void; error: string | null }) {
  const [token, setToken] = useState('');
  return (
    <main className="sign-in">
      <h1>Lifeboat</h1>
      <p>Backups of your services, and the way back.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <label htmlFor="token">Project token</label>
        <input id="token" name="token" type="password" autoComplete="off" value={token} onChange={(event) => setToken(event.target.value)} aria-describedby={error ? 'sign-in-error' : undefined} required />
        {error && (
          <p id="sign-in-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
