// A hold ending on pagehide, in every engine: a hold in one tab keeps every
// tab present without input; when its tab closes, the others drop the hold at
// once (before the clock moves) and then go idle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const IDLE = 60_000;
const SESSION = 120_000;

eachEngine(test, enginesToRun(), 'pagehide: a hold keeps every tab present; closing its tab releases it at once, and the other tabs then go idle', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: SESSION / 1000 } } });
  t.after(() => w.close());
  const options = tokenOptions({ keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION, idleTimeoutMs: IDLE, warningMs: 20_000 });
  const [a, b, c] = await signedInTabs(w, 3, options);
  const endings = async (tabs) => (await Promise.all(tabs.map((tab) => tab.events()))).flat().filter((e) => ['warning', 'idle', 'timeout', 'logout'].includes(e.type));

  await c.eval(() => (window.hold = window.keeper.holdActive('upload')));
  await w.settle();
  await w.advance(2 * IDLE, { step: 5_000 });
  const heldBy = await Promise.all([a, b, c].map(async (tab) => (await tab.state()).holds));
  const whileHeld = await endings([a, b, c]);

  await c.close();
  const closedAt = w.now;
  // Before the clock moves: did pagehide release the hold in the other tabs?
  const holdsAfterClose = await w.until(
    () => Promise.all([a, b].map(async (tab) => (await tab.state()).holds)),
    (hs) => hs.every((n) => n === 0),
    3_000,
  );
  await w.advance(IDLE - 1_000, { step: 5_000 });
  await w.advance(2_000, { step: 100 });
  const logouts = (await endings([a, b])).filter((e) => e.type === 'logout');
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: hold and pagehide`, {
    browser: w.browser.version,
    holdsWhileHeld: heldBy,
    warningsOrLogoutsWhileHeld: whileHeld.length,
    holdsRightAfterClose: holdsAfterClose,
    logoutsAfterClose: logouts.map((e) => ({ ...e.detail, msAfterClose: e.at - closedAt })),
    problems,
  });
  assert.ok(heldBy.every((n) => n >= 1), 'every tab sees the hold');
  assert.deepEqual(whileHeld, [], 'no warning or logout while held');
  assert.deepEqual(holdsAfterClose, [0, 0], 'the closing tab released its hold on pagehide, before the clock moved');
  assert.equal(logouts.length, 2, 'both other tabs then logged out');
  for (const e of logouts) {
    assert.equal(e.detail.reason, 'idle');
    assert.ok(e.at - closedAt >= IDLE - 100, `idle counted from the close (${e.at - closedAt} simulated ms)`);
  }
  assert.deepEqual(problems, []);
});
