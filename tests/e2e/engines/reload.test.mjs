// A reload in every engine: the page's keeper is gone with its document; the
// new one restores the session from the refresh cookie (no other tab to ask),
// and leads: the old document's Web Lock must not outlive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, ROUTES, delta, tokenOptions, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';

eachEngine(test, enginesToRun(), 'reload: the reloaded page restores the session from the refresh cookie with one refresh', async (t, engine) => {
  const w = await EngineWorld.startIn(engine, { server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: 900, refreshGraceMs: 0 } } });
  t.after(() => w.close());
  const options = tokenOptions();
  const [tab] = await signedInTabs(w, 1, options);
  await w.advance(30_000, { step: 10_000, each: () => tab.activity() });
  const old = await tab.token();
  const before = await w.counters();
  await tab.reload(options);
  const restoring = (await tab.state()).restoring;
  const s = await tab.ready();
  await w.settle();
  const d = delta(before, await w.counters());
  const token = await tab.token();
  const profile = await tab.fetch(ROUTES.profile);
  const logins = await tab.events('login');
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: reload`, {
    browser: w.browser.version,
    restoringAtStart: restoring,
    leaderAfterReload: (await tab.state()).leader,
    refreshes: d.refreshes,
    rotations: d.refreshRotations,
    newToken: token !== null && token !== old,
    loginEvents: logins.length,
    profileStatus: profile.status,
    problems,
  });
  assert.equal(restoring, true, 'the new keeper starts by restoring');
  assert.equal(s.authenticated, true, 'signed in again');
  assert.equal((await tab.state()).leader, true, 'the only tab leads again: the old document’s leader lock is gone');
  assert.equal(d.refreshes, 1, 'one refresh with the cookie');
  assert.equal(d.refreshRotations, 1);
  assert.ok(token && token !== old, 'a new token (the old one died with the page)');
  assert.equal(logins.length, 1, 'a login event for the restored session');
  assert.equal(profile.status, 200);
  assert.deepEqual(problems, []);
});
