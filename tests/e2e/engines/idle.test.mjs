// Idle in every engine: with no input in any tab, every tab shows the
// warning, then every tab logs out with cause idle, and nothing is sent after
// the idle deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

const IDLE = 60_000;
const WARNING = 20_000;
const SESSION = 120_000;
// Each tab runs its own copy of the clock through a step, so what one tab
// hears from another is stamped up to one step off: small steps near the ends.
const FINE = 100;

eachEngine(test, enginesToRun(), 'idle: the warning, then the logout with cause idle, in every tab; nothing sent after the deadline', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: SESSION / 1000 } } });
  t.after(() => w.close());
  const options = tokenOptions({ keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION, idleTimeoutMs: IDLE, warningMs: WARNING });
  const tabs = await signedInTabs(w, 3, options);
  const idleAt = (await tabs[0].state()).idleAt;
  const agreed = (await Promise.all(tabs.map((tab) => tab.state()))).every((s) => s.idleAt === idleAt);

  await w.advance(idleAt - WARNING - 1_000 - w.now, { step: 5_000 });
  await w.advance(2_000, { step: FINE });
  const warnings = await Promise.all(tabs.map((tab) => tab.events('warning')));
  await w.advance(idleAt - 1_000 - w.now, { step: 5_000 });
  await w.advance(2_000, { step: FINE });
  const logouts = await Promise.all(tabs.map((tab) => tab.events('logout')));
  const states = await Promise.all(tabs.map((tab) => tab.state()));

  const afterIdle = await w.counters();
  await w.advance(5 * 60_000, { step: 30_000 });
  const late = delta(afterIdle, await w.counters());
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: idle`, {
    browser: w.browser.version,
    tabs: tabs.length,
    warnings: warnings.map((ws) => ws.map((e) => ({ ...e.detail, msBeforeDeadline: idleAt - e.at }))),
    logouts: logouts.map((ls) => ls.map((e) => ({ ...e.detail, msAfterDeadline: e.at - idleAt }))),
    requestsAfterDeadline: late.heartbeats + late.refreshes,
    problems,
  });
  assert.ok(agreed, 'every tab agrees on the idle deadline');
  for (const [i, ws] of warnings.entries()) {
    assert.equal(ws.length, 1, `${tabs[i].name}: one warning`);
    assert.equal(ws[0].detail.cause, 'idle', `${tabs[i].name}: warning cause idle`);
    assert.ok(Math.abs(idleAt - ws[0].at - WARNING) <= FINE, `${tabs[i].name}: the warning came ${idleAt - ws[0].at} simulated ms before the deadline`);
  }
  for (const [i, ls] of logouts.entries()) {
    assert.equal(ls.length, 1, `${tabs[i].name}: one logout`);
    assert.equal(ls[0].detail.reason, 'idle', `${tabs[i].name}: cause idle`);
    assert.ok(ls[0].at >= idleAt - FINE, `${tabs[i].name}: not before the deadline`);
  }
  assert.ok(states.every((s) => !s.authenticated), 'every tab is signed out');
  assert.equal(late.heartbeats + late.refreshes, 0, 'no heartbeat or refresh after the idle deadline');
  assert.deepEqual(problems, []);
});
