// Scenarios 1-3: a simulated hour of activity in one tab (token and cookie
// sessions), and ten tabs that together cost what one tab costs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, ROUTES, delta, tokenOptions, cookieOptions, signedInTabs } from './lib/harness.mjs';
import { record } from './lib/report.mjs';

const HOUR = 3_600_000;
// Below the 60 s refresh lead and the 30 s heartbeat margin, so that the
// server's clock (at most one step ahead) cannot change an outcome.
const STEP = 20_000;

test('1. token session, one tab, a simulated hour of activity: refreshes = hour / (lifetime - lead) ± 1, no expired token reaches the server', async (t) => {
  const TTL = 300_000;
  const LEAD = 60_000;
  const w = await World.start({ server: { flags: { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 900, absoluteLifetimeSecs: 86_400 } } });
  t.after(() => w.close());
  const [tab] = await signedInTabs(w, 1, tokenOptions({ refreshLeadMs: LEAD }));
  const before = await w.counters();
  const failed = [];
  let appRequests = 0;
  await w.advance(HOUR, {
    step: STEP,
    each: async () => {
      await tab.activity();
      const r = await tab.fetch(ROUTES.profile);
      appRequests++;
      if (r.status !== 200) failed.push(r);
    },
  });
  const d = delta(before, await w.counters());
  const expected = HOUR / (TTL - LEAD);
  const state = await tab.state();
  record(t, import.meta.url, 'scenario 1', {
    simulatedMs: HOUR,
    refreshes: d.refreshes,
    expected,
    appRequests,
    expiredTokensRejected: d.expiredTokensRejected,
    refreshRejected: d.refreshRejected,
  });
  assert.deepEqual(failed, [], 'every keeper.fetch("/api/profile") was answered 200');
  assert.ok(Math.abs(d.refreshes - expected) <= 1, `refreshes ${d.refreshes}, expected ${expected} ± 1`);
  assert.equal(d.refreshRotations, d.refreshes, 'every refresh rotated (no grace replay, no reuse)');
  assert.equal(d.expiredTokensRejected, 0, 'the server never received an expired token');
  assert.equal(d.invalidTokensRejected, 0);
  assert.equal(d.refreshRejected, 0);
  assert.equal(state.authenticated, true);
  assert.deepEqual(w.problems, []);
});

/** One cookie-session tab through a simulated hour; `app(tab)` runs every minute (app traffic). */
async function cookieHour(t, app) {
  const SESSION = 120_000;
  const w = await World.start({ server: { flags: { idleTimeoutSecs: SESSION / 1000, absoluteLifetimeSecs: 86_400 } } });
  try {
    const [tab] = await signedInTabs(w, 1, cookieOptions(SESSION), 'cookie');
    const before = await w.counters();
    const appFailures = [];
    let i = 0;
    await w.advance(HOUR, {
      step: STEP,
      each: async () => {
        await tab.activity();
        if (app && i++ % 3 === 2) {
          const r = await app(tab);
          if (r.status !== 200) appFailures.push(r);
        }
      },
    });
    const d = delta(before, await w.counters());
    // The server session is alive at the end: a plain request with the cookie.
    const alive = await tab.eval(async (path) => (await fetch(path)).status, ROUTES.session);
    const state = await tab.state();
    assert.deepEqual(appFailures, [], 'app requests were answered 200');
    assert.deepEqual(w.problems, []);
    return { d, alive, state, appRequests: d.requests[ROUTES.session] ?? 0 };
  } finally {
    await w.close();
  }
}

test('2. cookie session, one tab, a simulated hour of activity: the server session never lapses; heartbeats ≤ hour / (timeout - margin) + 1; keeper.fetch() and touch() suppress them', async (t) => {
  const SESSION = 120_000;
  const MARGIN = Math.min(SESSION / 4, 90_000);
  const bound = HOUR / (SESSION - MARGIN) + 1;

  const plain = await cookieHour(t);
  const viaFetch = await cookieHour(t, (tab) => tab.fetch(ROUTES.session));
  const viaTouch = await cookieHour(t, (tab) =>
    tab.eval(async (path) => {
      // App traffic outside the keeper (axios, a WebSocket, ...), then touch().
      const res = await fetch(path);
      if (res.ok) window.keeper.touch();
      return { status: res.status };
    }, ROUTES.session),
  );
  record(t, import.meta.url, 'scenario 2', {
    simulatedMs: HOUR,
    heartbeatBound: bound,
    heartbeatsActivityOnly: plain.d.heartbeats,
    heartbeatsWithKeeperFetch: viaFetch.d.heartbeats,
    keeperFetchRequests: viaFetch.appRequests,
    heartbeatsWithTouch: viaTouch.d.heartbeats,
    touchRequests: viaTouch.appRequests,
    keepaliveRejected: [plain, viaFetch, viaTouch].map((r) => r.d.keepaliveRejected),
    keepaliveRateLimited: [plain, viaFetch, viaTouch].map((r) => r.d.keepaliveRateLimited),
  });
  for (const [what, r] of [['activity only', plain], ['with keeper.fetch()', viaFetch], ['with touch()', viaTouch]]) {
    assert.equal(r.d.keepaliveRejected, 0, `${what}: no keepalive found the session gone`);
    assert.equal(r.alive, 200, `${what}: the server session is alive after the hour`);
    assert.equal(r.state.authenticated, true, `${what}: still signed in`);
    assert.ok(r.d.heartbeats <= bound, `${what}: ${r.d.heartbeats} heartbeats, at most ${bound}`);
  }
  // Activity alone needs the heartbeat: about one per (timeout - margin).
  assert.ok(plain.d.heartbeats >= bound - 2, `activity only: ${plain.d.heartbeats} heartbeats, expected about ${bound - 1}`);
  assert.ok(viaFetch.d.heartbeats < plain.d.heartbeats, 'keeper.fetch() traffic suppresses heartbeats');
  assert.ok(viaFetch.d.heartbeats <= 1, `keeper.fetch() every minute: ${viaFetch.d.heartbeats} heartbeats`);
  assert.ok(viaTouch.d.heartbeats <= 1, `touch() every minute: ${viaTouch.d.heartbeats} heartbeats`);
});

test('3. ten tabs: the refresh and heartbeat counts are those of one tab, every tab holds each new token, and when the leader closes another tab leads within 1 s and heartbeats go on', async (t) => {
  const TTL = 300_000;
  const LEAD = 60_000;
  const SESSION = 120_000;
  const MARGIN = Math.min(SESSION / 4, 90_000);
  const SPAN = 30 * 60_000;
  const w = await World.start({ server: { flags: { accessTtlSecs: TTL / 1000, idleTimeoutSecs: SESSION / 1000, absoluteLifetimeSecs: 86_400 } } });
  t.after(() => w.close());
  const options = tokenOptions({ refreshLeadMs: LEAD, keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION });
  const tabs = await signedInTabs(w, 10, options);
  const before = await w.counters();
  let turn = 0;
  let seenIssued = w.issued.length;
  let tokenChecks = 0;
  const stale = [];
  await w.advance(SPAN, {
    step: 10_000,
    each: async () => {
      await tabs[turn++ % tabs.length].activity();
      if (w.issued.length !== seenIssued) {
        seenIssued = w.issued.length;
        const latest = w.issued.at(-1);
        const held = await Promise.all(tabs.map((tab) => tab.token()));
        tokenChecks++;
        held.forEach((tok, i) => tok !== latest && stale.push(`${tabs[i].name} after refresh ${tokenChecks}`));
      }
    },
  });
  const d = delta(before, await w.counters());
  const leaders = (await Promise.all(tabs.map((tab) => tab.state()))).filter((s) => s.leader);

  // Close the leader; the others wait on its Web Lock.
  const leaderTab = tabs[(await Promise.all(tabs.map((tab) => tab.state()))).findIndex((s) => s.leader)];
  await leaderTab.close();
  const rest = tabs.filter((tab) => tab !== leaderTab);
  let tookMs = null;
  for (let ms = 0; ms <= 1_000; ms += 100) {
    const states = await w.until(
      () => Promise.all(rest.map((tab) => tab.state())),
      (ss) => ss.some((s) => s.leader),
      2_000,
    );
    if (states.some((s) => s.leader)) {
      tookMs = ms;
      break;
    }
    await w.advance(100, { step: 100 });
  }
  const newLeaders = (await Promise.all(rest.map((tab) => tab.state()))).filter((s) => s.leader).length;
  const afterClose = await w.counters();
  const AFTER = 10 * 60_000;
  await w.advance(AFTER, { step: 10_000, each: async () => rest[turn++ % rest.length].activity() });
  const d2 = delta(afterClose, await w.counters());
  const expectedRefreshes = SPAN / (TTL - LEAD);
  const expectedHeartbeats = SPAN / (SESSION - MARGIN);
  record(t, import.meta.url, 'scenario 3', {
    tabs: 10,
    simulatedMs: SPAN,
    refreshes: d.refreshes,
    expectedRefreshes,
    heartbeats: d.heartbeats,
    expectedHeartbeats,
    graceReplays: d.graceReplays,
    tokenChecks,
    newLeaderAfterSimulatedMs: tookMs,
    afterLeaderClosed: { simulatedMs: AFTER, heartbeats: d2.heartbeats, refreshes: d2.refreshes },
  });
  assert.equal(leaders.length, 1, 'exactly one leader among ten tabs');
  assert.ok(Math.abs(d.refreshes - expectedRefreshes) <= 1, `refreshes ${d.refreshes}, one tab's: ${expectedRefreshes} ± 1`);
  assert.ok(Math.abs(d.heartbeats - expectedHeartbeats) <= 1, `heartbeats ${d.heartbeats}, one tab's: ${expectedHeartbeats} ± 1`);
  assert.equal(d.reuseDetections, 0);
  assert.equal(d.keepaliveRateLimited, 0, 'no duplicate heartbeats');
  assert.ok(tokenChecks >= Math.floor(expectedRefreshes) - 1, `checked the tabs after ${tokenChecks} refreshes`);
  assert.deepEqual(stale, [], 'every tab held the newest token after each refresh');
  assert.notEqual(tookMs, null, 'a new leader within 1 simulated second');
  assert.equal(newLeaders, 1, 'exactly one new leader');
  assert.ok(d2.heartbeats >= AFTER / (SESSION - MARGIN) - 1, `heartbeats go on: ${d2.heartbeats} in ${AFTER / 60_000} min`);
  assert.ok(d2.refreshes >= 1, 'refreshes go on');
  assert.deepEqual(w.problems, []);
});
