'use client';
// The page's one keeper. In the browser this module runs once per page load:
// init() fetches the .wasm, which Next.js emits with the client chunks, and
// the keeper lives across client-side navigations. On the server (the
// prerender of `next build`, a server render) the package's server module
// answers: init() does nothing and the keeper is inert.
import init, { SessionKeeper } from 'keep-session-alive';

await init();

export const keeper = new SessionKeeper({
  loginUrl: '/api/auth/login',
  keepaliveUrl: '/api/keepalive',
  logoutUrl: '/api/auth/logout',
  sessionTimeoutMs: 30 * 60_000, // the server's sliding timeout
  idleTimeoutMs: 20 * 60_000,
});
