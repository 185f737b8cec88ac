'use client';
// The app's own parts that the npm README's recipe leaves to the app: a
// sign-in button for the reference server's demo user, and what the test
// reads (window.keeper), set once the page runs in the browser.
import { useEffect } from 'react';
import { useSessionState } from 'keep-session-alive/react';
import { keeper } from './session-keeper';

export function SignIn() {
  const state = useSessionState(keeper);
  if (!state || state.restoring || state.authenticated) return null;
  return <button onClick={() => keeper.login({ email: 'demo@example.com', password: 'demo-password', mode: 'cookie' })}>Sign in</button>;
}

export function TestProbe() {
  useEffect(() => {
    window.keeper = keeper;
  }, []);
  return null;
}
