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
import { callApi, expose, log, recordEvents } from '../test-app.js';

const config = window.appConfig;
const oidcSettings = {
  authority: config.authority,
  client_id: config.clientId,
  redirect_uri: `${location.origin}/`,
  scope: 'openid',
};

async function withKeeper() {
  const { userManager, keeper } = await startSession(oidcSettings, config.keeperOptions);
  recordEvents(keeper);
  return { userManager, keeper, signIn: () => userManager.signinRedirect() };
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
    signIn: () => userManager.signinRedirect(),
    callApi: async () => callApi((await userManager.getUser())?.access_token ?? null),
    signedIn: async () => {
      const user = await userManager.getUser();
      return Boolean(user && !user.expired);
    },
    logout: () => {},
  };
}

expose(config.mode, config.mode === 'baseline' ? await baseline() : await withKeeper());
