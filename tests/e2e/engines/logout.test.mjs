// Logout in every engine: the cause reaches every tab, and the logout
// request reaches the server even when the page navigates away at once
// (the request is sent with `keepalive`; Firefox dropped it when fetch()
// copied a Request, and the navigation then cancelled the logout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const FLAGS = { accessTtlSecs: 300, idleTimeoutSecs: 900 };

/** Opens one more tab with `options` and reports whether it could restore a session from the cookies. */
async function restoresInNewTab(w, options) {
  const probe = await w.open(options, { name: 'probe' });
  const s = await probe.ready();
  await w.settle();
  return (await probe.state()).authenticated || s.authenticated;
}

eachEngine(test, enginesToRun(), 'logout: logout() in one tab signs out every tab with cause user (remote in the others); the server revokes the session', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: FLAGS } });
  t.after(() => w.close());
  const options = tokenOptions();
  const tabs = await signedInTabs(w, 3, options);
  await w.advance(60_000, { step: 10_000, each: () => tabs[0].activity() });
  const before = await w.counters();
  const [, b] = tabs;
  await b.eval(() => window.keeper.logout());
  await w.settle();
  const states = await w.until(
    () => Promise.all(tabs.map((tab) => tab.state())),
    (ss) => ss.every((s) => !s.authenticated),
  );
  await w.advance(500, { step: 100 });
  const details = [];
  for (const tab of tabs) details.push({ tab: tab.name, events: (await tab.events('logout')).map((e) => e.detail) });
  const d = delta(before, await w.counters());
  const restored = await restoresInNewTab(w, options);
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: logout everywhere`, { browser: w.browser.version, logoutEvents: details, logoutRequests: d.requests[ROUTES.logout] ?? 0, newTabRestored: restored, problems });
  assert.ok(states.every((s) => !s.authenticated), 'every tab is signed out');
  for (const x of details) {
    assert.equal(x.events.length, 1, `${x.tab}: one logout event`);
    assert.equal(x.events[0].reason, 'user', `${x.tab}: cause user`);
    assert.equal(x.events[0].remote, x.tab !== b.name, `${x.tab}: remote is ${x.tab !== b.name}`);
  }
  assert.equal(d.requests[ROUTES.logout], 1, 'one POST /api/auth/logout');
  assert.equal(restored, false, 'a new tab cannot restore the session: the server revoked it');
  assert.deepEqual(problems, []);
});

// How many requests another tab keeps hanging so that the logout request has
// to wait for a connection: more than any engine here opens to one host (6).
const BUSY = 8;
// Real ms those requests hang (then the server answers 503): the logout, if
// it survived its page, goes out then.
const HANG_MS = 3_000;

eachEngine(test, enginesToRun(), 'logout: logout() followed at once by a navigation away still reaches the server (keepalive), even when it must wait for a connection', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: FLAGS } });
  t.after(() => w.close());
  const options = tokenOptions();
  const [tab] = await signedInTabs(w, 1, options);
  await w.advance(10_000, { step: 5_000 });
  // A slow network, made certain: another tab of the site holds every
  // connection the browser opens to the server with requests that hang, so
  // the logout request is still queued in the browser when its page unloads.
  // Only a keepalive request outlives its page and goes out later.
  const other = await w.open(null, { name: 'busy tab' });
  await w.server.fault({ path: ROUTES.session, kind: 'hang', ms: HANG_MS, times: BUSY });
  const before = await w.counters();
  await other.eval((n) => {
    // Distinct URLs: browsers send one request at a time for one cacheable URL.
    for (let i = 0; i < n; i++) fetch(`/api/session?busy=${i}`, { cache: 'no-store' }).catch(() => {});
  }, BUSY);
  const busy = await w.until(() => w.counters(), (c) => c.faultsInjected - before.faultsInjected >= 6);
  // The app's "sign out" button: `await keeper.logout()` (it resolves at
  // once), then its redirect. (A navigation started before the SDK's fetch
  // would hide the bug: Firefox does not cancel a fetch started after
  // location.assign() in the same task.) The next page is on another host
  // name, whose connections are free.
  const gone = w.server.base.replace('127.0.0.1', 'localhost') + '/?gone';
  await tab.navigate(
    async (url) => {
      await window.keeper.logout();
      location.assign(url);
    },
    gone,
    gone,
  );
  tab.away = true;
  const sent = await w.until(() => w.counters(), (c) => (c.requests[ROUTES.logout] ?? 0) > (before.requests[ROUTES.logout] ?? 0), HANG_MS + 5_000);
  const d = delta(before, sent);
  await w.settle();
  const restored = await restoresInNewTab(w, options);
  record(t, import.meta.url, `${engine}: logout then navigation`, {
    browser: w.browser.version,
    hungRequestsOnServer: busy.faultsInjected - before.faultsInjected,
    logoutRequestsOnServer: d.requests[ROUTES.logout] ?? 0,
    newTabRestored: restored,
  });
  assert.ok(busy.faultsInjected - before.faultsInjected >= 6, 'the connections were busy');
  assert.equal(d.requests[ROUTES.logout] ?? 0, 1, 'the logout request reached the server');
  assert.equal(restored, false, 'the session is revoked: a new tab cannot restore it');
});
