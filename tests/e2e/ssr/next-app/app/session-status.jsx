'use client';
import { useState } from 'react';
import { useSessionEvent, useSessionState } from 'keep-session-alive/react';
import { keeper } from './session-keeper';

export function SessionStatus() {
  // null on the server and while the page hydrates, then the keeper's state.
  const state = useSessionState(keeper);
  const [ended, setEnded] = useState(null);
  useSessionEvent(keeper, 'logout', (e) => setEnded(e.detail.reason));

  const status = !state || state.restoring ? 'restoring' : state.authenticated ? 'signed in' : 'signed out';
  return (
    <aside aria-label="Session">
      <p data-testid="status">{status}</p>
      {ended && <p data-testid="reason">last logout: {ended}</p>}
      {state?.authenticated && <button onClick={() => keeper.logout()}>Sign out</button>}
    </aside>
  );
}
