// The page's one keeper, made in the browser only (.client): once per page
// load, living across client-side navigations. init() fetches the .wasm,
// which Vite emits with the client assets. On the server no keeper is
// made: useSessionKeeper() answers with an inert one there.
import init, { SessionKeeper } from 'keep-session-alive';
import { keepSessionAlive } from 'keep-session-alive/vue';

export default defineNuxtPlugin(async (nuxtApp) => {
  await init();
  const keeper = new SessionKeeper({
    loginUrl: '/api/auth/login',
    keepaliveUrl: '/api/keepalive',
    logoutUrl: '/api/auth/logout',
    sessionTimeoutMs: 30 * 60_000, // the server's sliding timeout
    idleTimeoutMs: 20 * 60_000,
  });
  nuxtApp.vueApp.use(keepSessionAlive, keeper);
});
