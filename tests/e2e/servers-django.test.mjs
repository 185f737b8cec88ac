// keep-session-alive against a real Django 5.2 app (tests/e2e/servers/django):
// contrib.auth with its own sign-in form and LogoutView, database sessions in
// SQLite sliding with SESSION_COOKIE_AGE + SESSION_SAVE_EVERY_REQUEST, the
// keepalive view behind @login_required, CSRF protection on (the keeper
// sends the csrftoken cookie in X-CSRFToken through a headers function, the
// npm README's recipe). Real time, a 4 s session; Chromium, up to 5 tabs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/paths.mjs';
import { DjangoApp, djangoDir, readmeSection, recipeLines } from './servers/lib/apps.mjs';
import { endsWhenServerDropsSession, idleLogoutOnce, logoutOnce, staysAlive } from './servers/lib/scenarios.mjs';

const SESSION_SECONDS = 4;
const sessionMs = SESSION_SECONDS * 1000;
const file = import.meta.url;
let app;

before(async () => {
  app = await DjangoApp.start({ sessionSeconds: SESSION_SECONDS });
});
after(() => app?.close());

/** On failure, the server's request log goes with the error. */
const withLog = (scenario) => async (t) => {
  try {
    await scenario(t);
  } catch (e) {
    t.diagnostic(`django's last lines:\n${app.tail()}`);
    throw e;
  }
};

test('django: heartbeats keep the session alive through several SESSION_COOKIE_AGE timeouts, each keepalive past the CSRF check', withLog((t) => staysAlive(t, app, { sessionMs, file, label: 'django: alive' })));

test('django: the server drops the session; the next keepalive (302 to LOGIN_URL) ends it in every tab as revoked, no heartbeat after', withLog((t) => endsWhenServerDropsSession(t, app, { sessionMs, file, label: 'django: dropped session' })));

test('django: logout() in one of 3 tabs reaches LogoutView once, past the CSRF check, and signs every tab out', withLog((t) => logoutOnce(t, app, { file, label: 'django: logout' })));

test('django: an idle logout in 5 tabs sends one logout request', withLog((t) => idleLogoutOnce(t, app, { n: 5, sessionMs, file, label: 'django: idle, 5 tabs' })));

test('django: the npm README\'s Django recipe sets up the keeper as the app does', () => {
  const section = readmeSection(readFileSync(join(root, 'pkg-template/README.md'), 'utf8'), 'Django');
  const lines = recipeLines(readFileSync(join(djangoDir, 'keepalive/static/app.js'), 'utf8'));
  assert.ok(lines.length >= 4, `the app's recipe lines: ${JSON.stringify(lines)}`);
  for (const line of lines) assert.ok(section.includes(line), `the README's Django recipe has: ${line}`);
});
