import * as ksa from 'keep-session-alive';
import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';

async function main() {
  // The web target exports init(); the bundler target initialises itself on import.
  if (typeof ksa.default === 'function') await ksa.default();
  const keeper = new ksa.SessionKeeper({
    loginUrl: '/api/auth/login',
    refreshUrl: '/api/auth/refresh',
    logoutUrl: '/api/auth/logout',
    idleTimeoutMs: 120_000,
    warningMs: 30_000,
    requestTimeoutMs: 30_000,
  });
  window.keeper = keeper; // for the test to look at
  createRoot(document.getElementById('root')).render(<App keeper={keeper} />);
}

main();
