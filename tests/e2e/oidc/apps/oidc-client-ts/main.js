// The test app around the recipe (session.js, the npm README's oidc-client-ts
// section; the page contract is in ../README.md). The scenario sets
// window.appConfig before the page loads:
//   { authority, clientId, mode, keeperOptions, renewLeadSecs, eventTypes }
// mode 'keeper':   the recipe: oidc-client-ts signs in, the keeper refreshes
//                  and hands out the token.
// mode 'baseline': oidc-client-ts alone, renewing on its own in every tab
//                  (automaticSilentRenew, `renewLeadSecs` before expiry),
//                  sharing its user through localStorage as the recipe does.
// Either way the page exposes window.app (keeper in mode 'keeper', signIn,
// callApi, signedIn, logout) and records what it saw in window.appLog for the
// scenario to read.
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { startSession } from './session.js';

const config = window.appConfig;
const oidcSettings = {
  authority: config.authority,
  client_id: config.clientId,
  redirect_uri: `${location.origin}/`,
  scope: 'openid',
};
const log = { events: [], apiStatuses: [], renewErrors: [] };
window.appLog = log;

async function withKeeper() {
  const { userManager, keeper } = await startSession(oidcSettings, config.keeperOptions);
  for (const type of config.eventTypes) {
    keeper.addEventListener(type, (e) => log.events.push({ type, detail: e.detail }));
  }
  return {
    userManager,
    keeper,
    // The app reads its token from the keeper, never from the user object,
    // which is stale in the tabs that did not refresh.
    token: () => keeper.getAccessToken(),
    signedIn: async () => keeper.state.authenticated,
  };
}

async function baseline() {
  const userManager = new UserManager({
    ...oidcSettings,
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: config.renewLeadSecs,
    userStore: new WebStorageStateStore({ store: window.localStorage }),
  });
  userManager.events.addSilentRenewError((err) => log.renewErrors.push(err.error ?? err.message));
  if (new URLSearchParams(location.search).has('code')) {
    await userManager.signinRedirectCallback();
    history.replaceState(null, '', location.pathname);
  }
  return {
    userManager,
    token: async () => (await userManager.getUser())?.access_token ?? null,
    signedIn: async () => {
      const user = await userManager.getUser();
      return Boolean(user && !user.expired);
    },
  };
}

const app = config.mode === 'baseline' ? await baseline() : await withKeeper();
/** Calls the resource server with the app's current token; its status, 0 without a token. */
app.callApi = async () => {
  const token = await app.token();
  const status = token ? (await fetch('/api/resource', { headers: { authorization: `Bearer ${token}` } })).status : 0;
  log.apiStatuses.push(status);
  return status;
};
app.signIn = () => app.userManager.signinRedirect();
app.logout = () => app.keeper?.logout();
document.getElementById('sign-in').addEventListener('click', app.signIn);
window.app = app;
document.querySelector('[data-testid=status]').textContent = `ready (${config.mode})`;
