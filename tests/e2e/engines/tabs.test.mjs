// Tabs in every engine: one leader, a new tab served by a sibling, and one
// refresh per token cycle for all tabs against the strict server (no grace
// window for the previous refresh token: a second use would be reuse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const TTL = 120_000;
const LEAD = 30_000;
const SPAN = 10 * 60_000;

eachEngine(test, enginesToRun(), 'tabs: one leader of three; a new tab gets the token from a sibling with 0 refreshes; one refresh per cycle on the strict server, 0 reuse', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 900, refreshGraceMs: 0 } } });
  t.after(() => w.close());
  const options = tokenOptions({ refreshLeadMs: LEAD });
  const tabs = await signedInTabs(w, 3, options);
  await w.advance(2_000, { step: 500 });
  const leaders = (await Promise.all(tabs.map((tab) => tab.state()))).filter((s) => s.leader).length;

  // A new tab while the clock stands still: a sibling must answer it.
  const before = await w.counters();
  const sibling = await tabs[0].token();
  const fresh = await w.open(options, { name: 'new tab' });
  const joined = await w.until(() => fresh.state(), (s) => s.authenticated && !s.restoring);
  const handedOver = await fresh.token();
  const joinRefreshes = delta(before, await w.counters()).refreshes;
  const ownRefreshes = (await fresh.requests(ROUTES.refresh)).length;
  tabs.push(fresh);

  // Token cycles with activity in turn, every tab keeping the newest token.
  const cycleStart = await w.counters();
  const heardBefore = await Promise.all(tabs.map(async (tab) => (await tab.events('refresh')).length));
  let turn = 0;
  await w.advance(SPAN, { step: 5_000, each: () => tabs[turn++ % tabs.length].activity() });
  const d = delta(cycleStart, await w.counters());
  const heard = (await Promise.all(tabs.map(async (tab) => (await tab.events('refresh')).length))).map((n, i) => n - heardBefore[i]);
  const held = await Promise.all(tabs.map((tab) => tab.token()));
  const states = await Promise.all(tabs.map((tab) => tab.state()));
  const expected = SPAN / (TTL - LEAD);
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: tabs`, {
    browser: w.browser.version,
    leadersOfThree: leaders,
    newTab: { authenticated: joined.authenticated, sameTokenAsSibling: handedOver === sibling, refreshesOnServer: joinRefreshes, ownRefreshRequests: ownRefreshes },
    cycles: { simulatedMs: SPAN, refreshes: d.refreshes, expected, rotations: d.refreshRotations, graceReplays: d.graceReplays, reuseDetections: d.reuseDetections, refreshRejected: d.refreshRejected, refreshEventsPerTab: heard },
    leadersAtEnd: states.filter((s) => s.leader).length,
    problems,
  });
  assert.equal(leaders, 1, 'exactly one leader among three tabs');
  assert.equal(joined.authenticated, true, 'the new tab is signed in');
  assert.equal(handedOver, sibling, 'with the sibling’s token');
  assert.equal(ownRefreshes, 0, 'the new tab sent no refresh');
  assert.equal(joinRefreshes, 0, 'the server saw no refresh for the new tab');
  assert.ok(Math.abs(d.refreshes - expected) <= 1, `refreshes ${d.refreshes}, one per cycle: ${expected} ± 1`);
  assert.equal(d.refreshRotations, d.refreshes, 'every refresh rotated the token');
  assert.equal(d.reuseDetections, 0, 'no refresh token was spent twice');
  assert.equal(d.refreshRejected, 0);
  assert.deepEqual(heard, Array(tabs.length).fill(d.refreshRotations), 'every tab got every new token');
  assert.ok(held[0] && new Set(held).size === 1, 'every tab holds the same token');
  assert.ok(states.every((s) => s.authenticated));
  assert.equal(states.filter((s) => s.leader).length, 1, 'still one leader among four');
  assert.deepEqual(problems, []);
});
