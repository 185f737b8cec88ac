// Scenarios 11 and 12: a laptop waking from sleep (Date.now() jumps, no timer
// fires), and one refresh for many concurrent requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, ROUTES, delta, tokenOptions, signedInTabs } from './lib/harness.mjs';
import { record } from './lib/report.mjs';

const TTL = 300_000;
const IDLE = 15 * 60_000;
// The server session outlives every jump below: only the page's clock decides.
const FLAGS = { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 3_600 };

/**
 * One signed-in token tab, active a second ago, whose laptop then sleeps for
 * `ms`: Date jumps, no timer fires. `before` holds the server's counters from
 * before the sleep; `sentSinceWaking()` the paths the page requested since.
 */
async function sleepingTab(t, ms) {
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const [tab] = await signedInTabs(w, 1, tokenOptions({ idleTimeoutMs: IDLE }));
  await tab.activity();
  await w.advance(1_000);
  const before = await w.counters();
  const wokeAt = w.now + ms;
  await w.jump(ms);
  const sentSinceWaking = async () =>
    (await tab.eval(() => window.ksaRequests)).filter((r) => r.at >= wokeAt).map((r) => r.path);
  return { w, tab, before, sentSinceWaking };
}

test('11a. sleep past the token expiry but within the idle timeout: the first keeper.fetch waits for a refresh, and the server sees no expired token', async (t) => {
  const { w, tab, before, sentSinceWaking } = await sleepingTab(t, TTL + 100_000);
  const res = await tab.fetch(ROUTES.profile);
  await w.settle();
  const d = delta(before, await w.counters());
  const sent = await sentSinceWaking();
  record(t, import.meta.url, 'scenario 11a', {
    sleptMs: TTL + 100_000,
    requestsAfterWaking: sent,
    refreshes: d.refreshes,
    profileRequests: d.requests[ROUTES.profile] ?? 0,
    expiredTokensRejected: d.expiredTokensRejected,
    profileStatus: res.status,
  });
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.deepEqual(sent, [ROUTES.refresh, ROUTES.profile], 'the refresh went first, then the request');
  assert.equal(d.refreshes, 1);
  assert.equal(d.requests[ROUTES.profile], 1, 'no 401 and retry');
  assert.equal(d.expiredTokensRejected, 0, 'the server saw no expired token');
  assert.equal((await tab.state()).authenticated, true);
  assert.deepEqual(w.problems, []);
});

test('11b. sleep past the idle timeout: no token is handed out, and the session ends as idle with no refresh request', async (t) => {
  const { w, tab, before, sentSinceWaking } = await sleepingTab(t, IDLE + 60_000);
  const token = await tab.token();
  const res = await tab.fetch(ROUTES.profile);
  await w.settle();
  await w.advance(5_000, { step: 500 });
  const d = delta(before, await w.counters());
  const sent = await sentSinceWaking();
  const logouts = await tab.events('logout');
  record(t, import.meta.url, 'scenario 11b', {
    sleptMs: IDLE + 60_000,
    token,
    fetch: res,
    requestsAfterWaking: sent,
    refreshes: d.refreshes,
    logout: logouts.map((e) => e.detail),
  });
  assert.equal(token, null, 'no token handed out');
  assert.ok(res.error, 'keeper.fetch rejects');
  assert.equal(d.refreshes, 0, 'no refresh request');
  assert.deepEqual(sent.filter((p) => p !== ROUTES.logout), [], 'nothing but the logout call was sent');
  assert.equal(logouts.length, 1);
  assert.equal(logouts[0].detail.reason, 'idle');
  assert.equal((await tab.state()).authenticated, false);
  assert.deepEqual(w.problems, []);
});

test('12. single flight: 20 concurrent keeper.fetch calls with an expired token make exactly one refresh request', async (t) => {
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const [tab] = await signedInTabs(w, 1, tokenOptions({ idleTimeoutMs: IDLE }));
  await tab.activity();
  await w.advance(1_000);
  await w.jump(TTL + 10_000);
  const before = await w.counters();
  const statuses = await tab.eval(async (path) => {
    const all = Array.from({ length: 20 }, () => window.keeper.fetch(path).then((r) => r.status, (e) => String(e)));
    return Promise.all(all);
  }, ROUTES.profile);
  await w.settle();
  const d = delta(before, await w.counters());
  record(t, import.meta.url, 'scenario 12', {
    concurrentFetches: statuses.length,
    refreshes: d.refreshes,
    profileRequests: d.requests[ROUTES.profile] ?? 0,
    expiredTokensRejected: d.expiredTokensRejected,
  });
  assert.deepEqual(statuses, Array(20).fill(200));
  assert.equal(d.refreshes, 1, 'exactly one refresh');
  assert.equal(d.requests[ROUTES.profile], 20, 'each request once, none retried');
  assert.equal(d.expiredTokensRejected, 0);
  assert.deepEqual(w.problems, []);
});
