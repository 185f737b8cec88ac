// A hold ending on pagehide, in every engine: a hold in one tab keeps every
// tab present without input; when its tab closes, the others drop the hold at
// once (before the clock moves) and then go idle. They do so even when the
// closing tab's last words are lost (Firefox sometimes drops the messages of
// a tab that closes): the browser frees that tab's Web Lock of life, for which
// the others are queued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const IDLE = 60_000;
const SESSION = 120_000;

eachEngine(test, enginesToRun(), 'pagehide: a hold keeps every tab present; closing its tab releases it at once, even without its last words, and the other tabs then go idle', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: SESSION / 1000 } } });
  t.after(() => w.close());
  const options = tokenOptions({ keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION, idleTimeoutMs: IDLE, warningMs: 20_000 });
  const [a, b, c, d] = await signedInTabs(w, 4, options);
  const endings = async (tabs) => (await Promise.all(tabs.map((tab) => tab.events()))).flat().filter((e) => ['warning', 'idle', 'timeout', 'logout'].includes(e.type));
  const holdsOf = (tabs) => Promise.all(tabs.map(async (tab) => (await tab.state()).holds));

  await c.eval(() => (window.hold = window.keeper.holdActive('upload')));
  await d.eval(() => (window.hold = window.keeper.holdActive('video')));
  await w.settle();
  await w.advance(2 * IDLE, { step: 5_000 });
  const heldBy = await holdsOf([a, b, c, d]);
  const whileHeld = await endings([a, b, c, d]);

  // Tab d closes and nothing it says reaches the others: no message, no storage write.
  await d.eval(() => {
    BroadcastChannel.prototype.postMessage = () => {};
    Storage.prototype.setItem = () => {};
  });
  await d.close();
  const holdsAfterSilentClose = await w.until(() => holdsOf([a, b, c]), (hs) => hs.every((n) => n === 1), 3_000);

  await c.close();
  const closedAt = w.now;
  // Before the clock moves: did pagehide release the hold in the other tabs?
  const holdsAfterClose = await w.until(() => holdsOf([a, b]), (hs) => hs.every((n) => n === 0), 3_000);
  await w.advance(IDLE - 1_000, { step: 5_000 });
  await w.advance(2_000, { step: 100 });
  const logouts = (await endings([a, b])).filter((e) => e.type === 'logout');
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: hold and pagehide`, {
    browser: w.browser.version,
    holdsWhileHeld: heldBy,
    warningsOrLogoutsWhileHeld: whileHeld.length,
    holdsRightAfterSilentClose: holdsAfterSilentClose,
    holdsRightAfterClose: holdsAfterClose,
    logoutsAfterClose: logouts.map((e) => ({ ...e.detail, msAfterClose: e.at - closedAt })),
    problems,
  });
  assert.deepEqual(heldBy, [2, 2, 2, 2], 'every tab sees both holds');
  assert.deepEqual(whileHeld, [], 'no warning or logout while held');
  assert.deepEqual(holdsAfterSilentClose, [1, 1, 1], "the silenced tab's hold ended when its tab closed, before the clock moved");
  assert.deepEqual(holdsAfterClose, [0, 0], 'the closing tab released its hold on pagehide, before the clock moved');
  assert.equal(logouts.length, 2, 'both other tabs then logged out');
  for (const e of logouts) {
    assert.equal(e.detail.reason, 'idle');
    assert.ok(e.at - closedAt >= IDLE - 100, `idle counted from the close (${e.at - closedAt} simulated ms)`);
  }
  assert.deepEqual(problems, []);
});
