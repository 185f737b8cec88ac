// keep-session-alive against a real Express 5 app (tests/e2e/servers/express):
// express-session (MemoryStore, cookie.maxAge with `rolling`: a sliding
// timeout), Passport's local strategy behind its own sign-in form,
// connect-ensure-login in front of the keepalive, csrf-sync (the token in a
// meta tag, sent in X-CSRF-Token through a headers function, the npm README's
// recipe). Once with the sign-in page on the app's origin, once on another
// origin (a single sign-on service, no CORS). Real time, a 4 s session;
// Chromium, up to 5 tabs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/paths.mjs';
import { ExpressApp, expressDir, readmeSection, recipeLines } from './servers/lib/apps.mjs';
import { endsWhenServerDropsSession, idleLogoutOnce, logoutOnce, staysAlive } from './servers/lib/scenarios.mjs';

const sessionMs = 4000;
const file = import.meta.url;
let app;

before(async () => {
  app = await ExpressApp.start({ sessionMs });
});
after(() => app?.close());

/** On failure, the server's output goes with the error. */
const withLog = (getApp, scenario) => async (t) => {
  try {
    await scenario(t);
  } catch (e) {
    t.diagnostic(`express's last lines:\n${getApp()?.tail()}`);
    throw e;
  }
};

test('express: heartbeats keep the session alive through several cookie.maxAge timeouts (rolling), each keepalive past csrf-sync', withLog(() => app, (t) => staysAlive(t, app, { sessionMs, file, label: 'express: alive' })));

test('express: the server drops the session; the next keepalive (ensureLoggedIn: 302 to /login) ends it in every tab as revoked, no heartbeat after', withLog(() => app, (t) => endsWhenServerDropsSession(t, app, { sessionMs, file, label: 'express: dropped session' })));

test('express: the sign-in page is on another origin (no CORS): the keepalive redirected there ends the session in every tab as revoked', async (t) => {
  const sso = await ExpressApp.start({ sessionMs, loginPage: 'other-origin' });
  t.after(() => sso.close());
  await withLog(() => sso, (t2) => endsWhenServerDropsSession(t2, sso, { sessionMs, file, label: 'express: dropped session, sign-in on another origin' }))(t);
});

test('express: logout() in one of 3 tabs reaches the logout route once, past csrf-sync, and signs every tab out', withLog(() => app, (t) => logoutOnce(t, app, { file, label: 'express: logout' })));

test('express: an idle logout in 5 tabs sends one logout request', withLog(() => app, (t) => idleLogoutOnce(t, app, { n: 5, sessionMs, file, label: 'express: idle, 5 tabs' })));

test('express: the npm README\'s Express recipe sets up the keeper as the app does', () => {
  const section = readmeSection(readFileSync(join(root, 'pkg-template/README.md'), 'utf8'), 'Express (express-session, Passport)');
  const lines = recipeLines(readFileSync(join(expressDir, 'public/app.js'), 'utf8'));
  assert.ok(lines.length >= 3, `the app's recipe lines: ${JSON.stringify(lines)}`);
  for (const line of lines) assert.ok(section.includes(line), `the README's Express recipe has: ${line}`);
});
