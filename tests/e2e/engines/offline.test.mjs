// Scenario 10c, offline then online, in every engine (it was Chromium's
// alone in faults.test.mjs, with the same assertions): no refresh attempt while offline,
// no expired token handed out, and one refresh as soon as the browser is
// online again (before the clock moves). Chromium and Firefox go offline
// through their drivers; WebKit's driver cannot, so its tabs emulate it
// (lib/page-prelude.mjs: navigator.onLine, the events, fetch failing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const TTL = 300_000;
const LEAD = 60_000;

eachEngine(test, enginesToRun(), '10c. offline, then online: no attempt while offline, no expired token, one refresh at once when back online', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 900 } } });
  t.after(() => w.close());
  const [tab] = await signedInTabs(w, 1, tokenOptions({ refreshLeadMs: LEAD }));
  const due = (await tab.state()).tokenExpiresAt - LEAD;
  await w.advance(due - 1_000 - w.now, { step: 10_000, each: () => tab.activity() });
  const before = await w.counters();
  await w.browser.setOffline(true);
  const offline = await w.until(() => tab.state(), (s) => !s.online);
  const from = w.now;
  // Past the refresh time and past the token's expiry.
  await w.advance(2 * LEAD, { step: 1_000 });
  const whileOffline = (await tab.requests(ROUTES.refresh)).filter((r) => r.at >= from);
  const tokenOffline = await tab.token();
  const mid = await w.counters();
  const atOnline = w.now;
  await w.browser.setOffline(false);
  // No clock movement: the online event alone must bring the refresh.
  const back = await w.until(() => w.counters(), (c) => c.refreshRotations > mid.refreshRotations);
  await w.settle();
  const d = delta(before, back);
  const sentOnline = (await tab.requests(ROUTES.refresh)).filter((r) => r.at >= from);
  const profile = await tab.fetch(ROUTES.profile);
  const state = await tab.state();
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: offline then online`, {
    browser: w.browser.version,
    offlineBy: engine === 'webkit' ? 'emulated in the page' : 'the browser',
    refreshAttemptsWhileOffline: whileOffline.length,
    tokenWhileOfflinePastExpiry: tokenOffline,
    refreshesAfterOnline: d.refreshes,
    refreshSentSimulatedMsAfterOnline: sentOnline.map((r) => r.at - atOnline),
    profileStatus: profile.status,
    problems,
  });
  assert.equal(offline.online, false, 'state.online is false');
  assert.deepEqual(whileOffline, [], 'no refresh attempt while offline');
  assert.equal(tokenOffline, null, 'no token handed out once it expired');
  assert.equal(d.refreshes, 1, 'one refresh, right after going online');
  assert.deepEqual(sentOnline.map((r) => r.at), [atOnline], 'sent at once (no simulated time passed)');
  assert.equal(profile.status, 200);
  assert.equal(state.authenticated, true);
  assert.deepEqual(problems, []);
});
