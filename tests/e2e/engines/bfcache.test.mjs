// The back/forward cache in every engine. A page with a keeper must stay
// eligible for it (the browser restores it: `pageshow` with persisted), and
// once restored it must catch up with what happened while it was away: a
// token that expired meanwhile is refreshed before it is handed out, a logout
// in another tab signs it out (restored or, where the browser evicted it,
// loaded anew), and the tabs still have one leader.
//
// The tab leaves for another page of the same origin and comes back with
// history.back(); its simulated clock takes the world's time in its first
// pageshow listener (lib/page-prelude.mjs), before the keeper's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const TTL = 300_000;
const FLAGS = { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 3_600 };
const options = tokenOptions({ idleTimeoutMs: 30 * 60_000 });

eachEngine(test, enginesToRun(), 'bfcache: a page with a keeper is restored from the back/forward cache, and after its token expired meanwhile it refreshes before handing one out', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: FLAGS } });
  t.after(() => w.close());
  const [tab] = await signedInTabs(w, 1, options);
  await w.advance(10_000, { step: 5_000, each: () => tab.activity() });
  const old = await tab.token();
  await tab.leave();
  await w.jump(TTL + 60_000);
  const before = await w.counters();
  const fromBack = w.now;
  const restored = await tab.back();
  const res = restored ? await tab.fetch(ROUTES.profile) : { error: 'not restored: no keeper on a new page' };
  await w.settle();
  const d = delta(before, await w.counters());
  const sent = restored ? (await tab.eval(() => window.ksaRequests)).filter((r) => r.at >= fromBack).map((r) => r.path) : [];
  const token = restored ? await tab.token() : null;
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: restored after the token expired`, {
    browser: w.browser.version,
    restoredFromBfcache: restored,
    notRestoredReasons: tab.notRestoredReasons ?? null,
    requestsAfterRestore: sent,
    refreshes: d.refreshes,
    expiredTokensRejected: d.expiredTokensRejected,
    profile: res,
    newToken: token !== null && token !== old,
    problems,
  });
  assert.equal(restored, true, 'the page was restored from the back/forward cache (pageshow persisted)');
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.deepEqual(sent, [ROUTES.refresh, ROUTES.profile], 'the refresh went first, then the request');
  assert.equal(d.expiredTokensRejected, 0, 'the server never saw the expired token');
  assert.ok(token && token !== old, 'a new token');
  assert.deepEqual(problems, []);
});

eachEngine(test, enginesToRun(), 'bfcache: a page that comes back after another tab logged out is signed out', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: FLAGS } });
  t.after(() => w.close());
  const [a, b] = await signedInTabs(w, 2, options);
  await w.advance(10_000, { step: 5_000, each: () => a.activity() });
  await a.leave();
  await b.eval(() => window.keeper.logout());
  await w.settle();
  await w.advance(5_000, { step: 500 });
  // A browser may evict the cached page instead (Chromium does when a
  // BroadcastChannel message arrives for it): then the app starts a keeper
  // on the new page, and that one must find no session either.
  const restored = await a.back();
  if (!restored) await a.start(options);
  await a.ready();
  await w.advance(2_000, { step: 100 });
  const state = await a.state();
  const token = await a.token();
  const logouts = (await a.events('logout')).map((e) => e.detail);
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: back after a logout elsewhere`, {
    browser: w.browser.version,
    restoredFromBfcache: restored,
    notRestoredReasons: a.notRestoredReasons ?? null,
    authenticated: state.authenticated,
    token,
    logoutEvents: logouts,
    problems,
  });
  assert.equal(state.authenticated, false, 'the page is signed out');
  assert.equal(token, null, 'it hands out no token');
  if (restored) assert.equal(logouts.length, 1, 'the restored keeper emitted one logout event');
  assert.deepEqual(problems, []);
});

eachEngine(test, enginesToRun(), 'bfcache: after the leader tab comes back from the back/forward cache, the tabs still have exactly one leader', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: FLAGS } });
  t.after(() => w.close());
  const tabs = await signedInTabs(w, 2, options);
  const [a, b] = tabs;
  await w.advance(2_000, { step: 500 });
  const leadersBefore = (await Promise.all(tabs.map((tab) => tab.state()))).map((s) => s.leader);
  const leader = leadersBefore[0] ? a : b;
  await leader.leave();
  await w.advance(10_000, { step: 1_000 });
  const restored = await leader.back();
  await w.advance(5_000, { step: 500 });
  const leadersAfter = restored ? (await Promise.all(tabs.map((tab) => tab.state()))).map((s) => s.leader) : [];
  const locks = restored ? await b.eval(async () => (await navigator.locks.query()).held.map((l) => l.name)) : [];
  record(t, import.meta.url, `${engine}: one leader after a restore`, {
    browser: w.browser.version,
    leadersBefore,
    restoredFromBfcache: restored,
    leadersAfter,
    heldLocks: locks,
  });
  assert.deepEqual(leadersBefore.filter(Boolean).length, 1, 'one leader before');
  assert.equal(restored, true, 'the page was restored from the back/forward cache (pageshow persisted)');
  assert.equal(leadersAfter.filter(Boolean).length, 1, `one leader after the restore (${JSON.stringify(leadersAfter)})`);
});
