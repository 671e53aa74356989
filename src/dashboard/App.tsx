import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from './api.js';
import { session } from './session.js';
import type { Capabilities, ProjectRole } from './types.js';
import { ArchivedServices } from './views/ArchivedServices.js';
import { Audit } from './views/Audit.js';
import { BackupPage } from './views/BackupPage.js';
import { ServicePage } from './views/ServicePage.js';
import { Services } from './views/Services.js';
import { SignIn } from './views/SignIn.js';

function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

/** The dashboard: sign-in, a banner when backups are off, and three views. */
export function App() {
  const [projectId, setProjectId] = useState<string | null>(null);
  const [role, setRole] = useState<ProjectRole | null>(null);
  const [capabilities, setCapabilities] = useState<Capabilities | null>(null);
  const [signInError, setSignInError] = useState<string | null>(null);
  const route = useHashRoute();

  const signIn = useCallback(async () => {
    if (!session.token()) return;
    try {
      const me = await api<{ kind: string; projectId: string | null; role: ProjectRole | null }>('GET', '/v1/whoami');
      if (!me.projectId) {
        session.signOut();
        setSignInError('This is the admin token. Sign in with a project token.');
        return;
      }
      setProjectId(me.projectId);
      setRole(me.role);
      setCapabilities(await api<Capabilities>('GET', '/v1/capabilities'));
    } catch (error) {
      session.signOut();
      setSignInError(error instanceof ApiError && error.status === 401 ? 'That token is not valid.' : (error as Error).message);
    }
  }, []);

  useEffect(() => {
    void signIn();
  }, [signIn]);

  if (!projectId || !capabilities) {
    return (
      <SignIn
        error={signInError}
        onSubmit={(token) => {
          session.signIn(token);
          setSignInError(null);
          void signIn();
        }}
      />
    );
  }

  const serviceMatch = /^\/services\/(svc_[0-9a-z]+)$/.exec(route);
  const backupMatch = /^\/backups\/(bkp_[0-9a-z]+)$/.exec(route);
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">
          Lifeboat
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route === '/' ? 'page' : undefined}>
            Services
          </a>
          <a href="#/audit" aria-current={route === '/audit' ? 'page' : undefined}>
            Audit log
          </a>
          <button
            type="button"
            className="link"
            onClick={() => {
              session.signOut();
              setProjectId(null);
            }}
          >
            Sign out
          </button>
        </nav>
      </header>
      {!capabilities.backups.available && (
        <div className="banner" role="alert">
          <strong>Backups are unavailable.</strong> {capabilities.backups.reason}
        </div>
      )}
      <main>
        {serviceMatch ? (
          <ServicePage projectId={projectId} serviceId={serviceMatch[1]!} capabilities={capabilities} role={role} />
        ) : backupMatch ? (
          <BackupPage backupId={backupMatch[1]!} />
        ) : route === '/audit' ? (
          <Audit />
        ) : route === '/archived' ? (
          <ArchivedServices projectId={projectId} role={role} />
        ) : (
          <Services projectId={projectId} capabilities={capabilities} role={role} />
        )}
      </main>
    </>
  );
}
