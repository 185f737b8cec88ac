import { useState } from 'react';
import { useSessionEvent, useSessionState } from 'keep-session-alive/react';

window.renders = 0;

function WarningDialog({ keeper, state }) {
  // Shown from the hook's state: a warning is up while warningRemainingMs is not null.
  if (state.warningRemainingMs === null) return null;
  const seconds = Math.ceil(state.warningRemainingMs / 1000);
  return (
    <div role="alertdialog" aria-labelledby="warning-title" data-testid="warning">
      <p id="warning-title">Are you still there? You will be signed out in {seconds} s.</p>
      <button onClick={() => keeper.staySignedIn()}>Stay signed in</button>
      <button onClick={() => keeper.logout()}>Log out</button>
    </div>
  );
}

export function App({ keeper }) {
  window.renders++;
  const state = useSessionState(keeper);
  const [refreshes, setRefreshes] = useState(0);
  const [reason, setReason] = useState(null);
  const [error, setError] = useState(null);
  useSessionEvent(keeper, 'refresh', () => setRefreshes((n) => n + 1));
  useSessionEvent(keeper, 'logout', (e) => setReason(e.detail.reason));

  async function signIn() {
    setError(null);
    try {
      await keeper.login({ email: 'demo@example.com', password: 'demo-password' });
    } catch (e) {
      setError(String(e?.message ?? e));
    }
  }

  const status = state.restoring ? 'restoring' : state.authenticated ? 'signed in' : 'signed out';
  return (
    <main>
      <h1>keep-session-alive in React</h1>
      <p data-testid="status">{status}</p>
      {reason && <p data-testid="reason">last logout: {reason}</p>}
      {error && <p role="alert">{error}</p>}
      {!state.authenticated && !state.restoring && <button onClick={signIn}>Sign in</button>}
      {state.authenticated && (
        <section>
          <p>
            token expires at <span data-testid="expires">{state.tokenExpiresAt}</span>, refreshed{' '}
            <span data-testid="refreshes">{refreshes}</span> times
          </p>
          <button onClick={() => keeper.logout()}>Sign out</button>
        </section>
      )}
      <WarningDialog keeper={keeper} state={state} />
    </main>
  );
}
