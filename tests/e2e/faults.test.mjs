// Scenario 10: faults, injected with the reference server's fault switches
// (POST /api/test/faults), junk on the BroadcastChannel, and a server process
// stopped and started again. 10c, the browser's offline mode, runs in every
// engine: engines/offline.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { World, ROUTES, delta, tokenOptions, signedInTabs } from './lib/harness.mjs';
import { record } from './lib/report.mjs';

const TTL = 300_000;
const LEAD = 60_000;
const FLAGS = { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 900 };

/** Signs in `n` tabs and runs the clock with activity to 1 s before the first refresh. */
async function untilRefreshIsDue(w, n, extra = {}) {
  const tabs = await signedInTabs(w, n, tokenOptions({ refreshLeadMs: LEAD, ...extra }));
  const due = (await tabs[0].state()).tokenExpiresAt - LEAD;
  await w.advance(due - 1_000 - w.now, { step: 10_000, each: () => tabs[0].activity() });
  return tabs;
}

test('10a. refresh answers 503 three times, then 200: the user stays signed in, and the retries come at growing intervals', async (t) => {
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const [tab] = await untilRefreshIsDue(w, 1);
  const before = await w.counters();
  await w.server.fault({ path: ROUTES.refresh, kind: 'status', status: 503, times: 3 });
  const from = w.now;
  await w.advance(12_000, { step: 100 });
  const d = delta(before, await w.counters());
  const sent = (await tab.requests(ROUTES.refresh)).filter((r) => r.at >= from).map((r) => r.at);
  const errors = (await tab.events('error')).filter((e) => e.at >= from);
  // Each retry waits its backoff from the failure it follows.
  const waits = errors.map((e, i) => sent[i + 1] - e.at);
  const state = await tab.state();
  const profile = await tab.fetch(ROUTES.profile);
  record(t, import.meta.url, 'scenario 10a', {
    refreshRequests: d.refreshes,
    faultsInjected: d.faultsInjected,
    errors: errors.map((e) => `${e.detail.operation}/${e.detail.kind}`),
    backoffWaitsMs: waits,
    rotations: d.refreshRotations,
  });
  assert.equal(d.faultsInjected, 3);
  assert.equal(d.refreshes, 4, 'three failures and one success');
  assert.deepEqual(errors.map((e) => [e.detail.operation, e.detail.kind]), Array(3).fill(['refresh', 'server']));
  waits.forEach((ms, i) => {
    const exp = 1_000 * 2 ** i;
    assert.ok(ms >= exp / 2 && ms <= exp, `retry ${i + 1} waited ${ms} ms, expected ${exp / 2}..${exp}`);
  });
  assert.ok(waits[1] >= waits[0] && waits[2] >= waits[1] && waits[2] > waits[0], `growing intervals: ${waits}`);
  assert.equal(d.refreshRotations, 1);
  assert.equal(state.authenticated, true);
  assert.equal(profile.status, 200);
  assert.deepEqual(w.problems, []);
});

test('10b. refresh hangs past requestTimeoutMs: it is retried', async (t) => {
  const TIMEOUT = 5_000;
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const [tab] = await untilRefreshIsDue(w, 1, { requestTimeoutMs: TIMEOUT });
  const before = await w.counters();
  await w.server.fault({ path: ROUTES.refresh, kind: 'hang', ms: 120_000 });
  const from = w.now;
  // The hung request stays open while the simulated clock runs past the timeout.
  await w.advance(TIMEOUT + 5_000, { step: 100, pending: 1 });
  await w.settle();
  const d = delta(before, await w.counters());
  const errors = (await tab.events('error')).filter((e) => e.at >= from);
  const refreshes = (await tab.events('refresh')).filter((e) => e.at >= from);
  const sent = (await tab.requests(ROUTES.refresh)).filter((r) => r.at >= from).map((r) => r.at - from);
  record(t, import.meta.url, 'scenario 10b', {
    requestTimeoutMs: TIMEOUT,
    refreshRequests: d.refreshes,
    sentAtMsAfterArming: sent,
    errors: errors.map((e) => `${e.detail.operation}/${e.detail.kind}`),
    timedOutAfterMs: errors[0] ? errors[0].at - (from + sent[0]) : null,
  });
  assert.equal(d.faultsInjected, 1, 'the first refresh hung');
  assert.deepEqual(errors.map((e) => [e.detail.operation, e.detail.kind]), [['refresh', 'timeout']]);
  assert.ok(errors[0].at - (from + sent[0]) >= TIMEOUT, 'given up after requestTimeoutMs');
  assert.equal(d.refreshes, 2, 'retried once');
  assert.equal(d.refreshRotations, 1, 'the retry rotated the token');
  assert.equal(refreshes.length, 1);
  assert.equal((await tab.state()).authenticated, true);
  assert.deepEqual(w.problems, []);
});

test('10d. refresh answers 401: every tab logs out with cause revoked', async (t) => {
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const tabs = await untilRefreshIsDue(w, 3);
  await w.server.fault({ path: ROUTES.refresh, kind: 'status', status: 401 });
  await w.advance(5_000, { step: 500 });
  const details = [];
  for (const tab of tabs) {
    const logouts = await tab.events('logout');
    assert.equal(logouts.length, 1, `${tab.name}: logged out`);
    details.push({ tab: tab.name, ...logouts[0].detail });
  }
  record(t, import.meta.url, 'scenario 10d', { tabs: 3, logoutDetails: details });
  assert.ok((await Promise.all(tabs.map((tab) => tab.state()))).every((s) => !s.authenticated));
  for (const x of details) assert.equal(x.reason, 'revoked', `${x.tab}: cause ${x.reason}`);
  assert.equal(details.filter((x) => !x.remote).length, 1, 'one tab got the 401, the others heard of it (remote: true)');
  assert.deepEqual(w.problems, []);
});

test('10e. a malformed JSON reply: an error event, and the page keeps working', async (t) => {
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const [tab] = await untilRefreshIsDue(w, 1);
  const before = await w.counters();
  await w.server.fault({ path: ROUTES.refresh, kind: 'malformed' });
  const from = w.now;
  await w.advance(5_000, { step: 100 });
  const d = delta(before, await w.counters());
  const errors = (await tab.events('error')).filter((e) => e.at >= from);
  const refreshes = (await tab.events('refresh')).filter((e) => e.at >= from);
  const profile = await tab.fetch(ROUTES.profile);
  record(t, import.meta.url, 'scenario 10e', {
    refreshRequests: d.refreshes,
    errors: errors.map((e) => `${e.detail.operation}/${e.detail.kind}`),
    refreshEventsAfter: refreshes.length,
    profileStatus: profile.status,
  });
  assert.deepEqual(errors.map((e) => [e.detail.operation, e.detail.kind]), [['refresh', 'malformed']]);
  assert.equal(refreshes.length, 1, 'the retry brought a token');
  assert.equal(profile.status, 200);
  assert.equal((await tab.state()).authenticated, true);
  assert.deepEqual(w.problems, [], 'no page error');
});

test('10f. a script posts junk on the BroadcastChannel: it is ignored and nothing breaks', async (t) => {
  const w = await World.start({ server: { flags: FLAGS } });
  t.after(() => w.close());
  const tabs = await signedInTabs(w, 2, tokenOptions({ refreshLeadMs: LEAD }));
  const ignoredBefore = await Promise.all(tabs.map(async (tab) => (await tab.state()).ignoredMessages));
  const posted = await tabs[0].eval(() => {
    const junk = [
      'garbage',
      '',
      '{}',
      'ksa1',
      'ksa1 x logout user',
      'ksa2 1 logout user',
      'ksa1 1 logout',
      'ksa1 1 logout nobody',
      'ksa1 1 explode now',
      'ksa1 1 activity soon later',
      'ksa1 1 token 5 notatime tok',
      'x'.repeat(100_000),
      42,
      null,
      { kind: 'logout' },
      [1, 2, 3],
      new Uint8Array([1, 2, 3]),
    ];
    const bc = new BroadcastChannel('keep-session-alive');
    for (const m of junk) bc.postMessage(m);
    bc.close();
    return junk.length;
  });
  await w.settle();
  await w.advance(1_000, { step: 100 });
  const states = await Promise.all(tabs.map((tab) => tab.state()));
  const ignored = states.map((s, i) => s.ignoredMessages - ignoredBefore[i]);
  // Life goes on: the next refresh and an API call.
  const before = await w.counters();
  await w.advance(TTL, { step: 10_000, each: () => tabs[1].activity() });
  const d = delta(before, await w.counters());
  const profiles = await Promise.all(tabs.map((tab) => tab.fetch(ROUTES.profile)));
  const after = await Promise.all(tabs.map((tab) => tab.state()));
  record(t, import.meta.url, 'scenario 10f', { junkPosted: posted, ignoredPerTab: ignored, refreshesAfter: d.refreshes });
  assert.deepEqual(ignored, [posted, posted], 'every junk message was counted as ignored in every tab');
  assert.ok(states.every((s) => s.authenticated), 'nobody logged out');
  assert.ok(after.every((s) => s.authenticated));
  assert.ok(d.refreshes >= 1, 'refreshes go on');
  assert.deepEqual(profiles.map((p) => p.status), [200, 200]);
  assert.deepEqual(w.problems, [], 'no page error');
});

test('10g. the server process is stopped for a few seconds and started again on the same port: network errors, no logout, recovery', async (t) => {
  // Sessions in Redis and a fixed signing secret survive the restart.
  const w = await World.start({ server: { flags: FLAGS, redis: true } });
  t.after(() => w.close());
  const tabs = await untilRefreshIsDue(w, 2);
  const from = w.now;
  await w.server.stop();
  // The server's clock cannot be set while it is down: advance the pages only.
  for (let i = 0; i < 40; i++) {
    await w.context.clock.runFor(500);
    w.now += 500;
    await w.settle();
  }
  await sleep(2_000); // down for a few real seconds too
  await w.server.start();
  await w.server.setNow(w.now);
  await w.advance(30_000, { step: 500 });
  const after = await w.counters(); // a new process: its counters start at 0
  const errors = (await Promise.all(tabs.map((tab) => tab.events('error')))).flat().filter((e) => e.at >= from);
  const logouts = (await Promise.all(tabs.map((tab) => tab.events('logout')))).flat();
  const refreshed = (await Promise.all(tabs.map((tab) => tab.events('refresh')))).map((es) => es.filter((e) => e.at >= from).length);
  const profiles = await Promise.all(tabs.map((tab) => tab.fetch(ROUTES.profile)));
  record(t, import.meta.url, 'scenario 10g', {
    downForSimulatedMs: 20_000,
    errors: errors.map((e) => `${e.detail.operation}/${e.detail.kind}`),
    logouts: logouts.length,
    rotationsAfterRestart: after.refreshRotations,
    refreshEventsPerTab: refreshed,
    profileStatuses: profiles.map((p) => p.status),
  });
  assert.ok(errors.length >= 1, 'the refresh failed while the server was down');
  assert.ok(errors.every((e) => e.detail.operation === 'refresh' && e.detail.kind === 'network'), 'network errors');
  assert.deepEqual(logouts, [], 'no logout');
  assert.ok(after.refreshRotations >= 1, 'the restarted server rotated the token');
  assert.ok(refreshed.every((n) => n >= 1), 'every tab got the new token');
  assert.deepEqual(profiles.map((p) => p.status), [200, 200]);
  assert.deepEqual(w.problems, []);
});
