// Without Web Locks, in every engine: `navigator.locks` is deleted before the
// package loads (as in Safari before 15.4, some embedded WebViews, or a page
// that removed it). Three tabs against the strict server (no grace window:
// a refresh token spent twice is reuse, and reuse revokes the session) must
// still elect one leader and never spend a refresh token twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const TTL = 120_000;
const LEAD = 30_000;
const SPAN = 10 * 60_000;
const SESSION = 120_000;

eachEngine(test, enginesToRun(), 'no Web Locks: three tabs on the strict server elect one leader and spend no refresh token twice', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: TTL / 1000, idleTimeoutSecs: SESSION / 1000, refreshGraceMs: 0 } } });
  t.after(() => w.close());
  const options = tokenOptions({ refreshLeadMs: LEAD, keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION });
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await w.open(null, { noWebLocks: true }));
  const locksSeen = await Promise.all(tabs.map((tab) => tab.eval(() => 'locks' in navigator)));
  for (const tab of tabs) await tab.start(options);
  for (const tab of tabs) await tab.ready();
  await tabs[0].login();
  await w.settle();
  await w.until(() => Promise.all(tabs.map((tab) => tab.state())), (ss) => ss.every((s) => s.authenticated));
  const before = await w.counters();
  let turn = 0;
  await w.advance(SPAN, { step: 5_000, each: () => tabs[turn++ % tabs.length].activity() });
  const d = delta(before, await w.counters());
  const states = await Promise.all(tabs.map((tab) => tab.state()));
  const logouts = (await Promise.all(tabs.map((tab) => tab.events('logout')))).flat().map((e) => e.detail);
  const expected = SPAN / (TTL - LEAD);
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: no Web Locks`, {
    browser: w.browser.version,
    webLocksInTabs: locksSeen,
    leaders: states.map((s) => s.leader),
    authenticated: states.map((s) => s.authenticated),
    refreshes: d.refreshes,
    expected,
    rotations: d.refreshRotations,
    reuseDetections: d.reuseDetections,
    refreshRejected: d.refreshRejected,
    heartbeats: d.heartbeats,
    keepaliveRateLimited: d.keepaliveRateLimited,
    logouts,
    problems,
  });
  assert.deepEqual(locksSeen, [false, false, false], 'no tab has navigator.locks');
  assert.equal(d.reuseDetections, 0, 'no refresh token was spent twice');
  assert.equal(d.refreshRejected, 0, 'no refresh was refused');
  assert.deepEqual(logouts, [], 'nobody was logged out');
  assert.ok(states.every((s) => s.authenticated), 'every tab is still signed in');
  assert.equal(states.filter((s) => s.leader).length, 1, `one leader (${JSON.stringify(states.map((s) => s.leader))})`);
  assert.ok(Math.abs(d.refreshes - expected) <= 1, `refreshes ${d.refreshes}, one per cycle: ${expected} ± 1`);
  assert.deepEqual(problems, []);
});
