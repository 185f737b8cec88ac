// Scenario 14: the demo page (www/, served by the reference server with the
// built pkg/) loads without console errors and signs in, in both modes.
// Real time here: the demo is what a person would click through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { World, ROUTES, delta } from './lib/harness.mjs';
import { record } from './lib/report.mjs';
import { outDir, root, pkgDir } from './lib/paths.mjs';

test('14. demo smoke: the demo page loads with no console errors and signs in, in both modes; screenshots in tests/e2e/out/', async (t) => {
  const w = await World.start({ clock: false, server: { wwwDir: join(root, 'www'), pkgDir } });
  t.after(() => w.close());
  const consoleErrors = [];
  const tab = await w.open(null, { name: 'demo' });
  const page = tab.page;
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push({ text: m.text(), url: m.location().url }));
  // Every console message since load, including the browser's own network lines.
  await page.reload({ waitUntil: 'load' });
  const statusText = () => page.locator('#status-text').textContent();
  const shots = [];
  const before = await w.counters();
  mkdirSync(outDir, { recursive: true });
  for (const mode of ['token', 'cookie']) {
    await w.until(statusText, (s) => s === 'Signed out');
    assert.equal(await statusText(), 'Signed out', `${mode}: the page is ready and signed out`);
    await page.locator(`input[name="mode"][value="${mode}"]`).check();
    await page.locator('#login-btn').click();
    assert.equal(await w.until(statusText, (s) => s === 'Signed in'), 'Signed in', `${mode}: signed in`);
    assert.equal(await page.locator('#session-kind').textContent(), mode);
    let profile = null;
    if (mode === 'token') {
      // GET /api/profile takes the bearer token: a token-mode call (the demo's cookie mode has none to send).
      await page.locator('#profile-btn').click();
      profile = await w.until(() => page.locator('#profile-result').textContent(), (s) => s.startsWith('HTTP'));
      assert.match(profile, /^HTTP 200/);
    }
    const shot = join(outDir, `demo-${mode}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    shots.push(shot);
    await page.locator('#logout-btn').click();
    assert.equal(await w.until(statusText, (s) => s === 'Signed out'), 'Signed out', `${mode}: signed out`);
  }
  const d = delta(before, await w.counters());
  // The page's one expected network line: the token keeper's start-up
  // restore asks the refresh endpoint, which has no cookie to go on yet (401).
  const restore401 = (m) =>
    /^Failed to load resource: the server responded with a status of 401\b/.test(m.text) && new URL(m.url).pathname === ROUTES.refresh;
  const unexpected = consoleErrors.filter((m) => !restore401(m));
  record(t, import.meta.url, 'scenario 14', {
    logins: d.requests[ROUTES.login] ?? 0,
    logouts: d.requests[ROUTES.logout] ?? 0,
    consoleErrors,
    screenshots: shots.map((s) => s.slice(root.length + 1)),
  });
  assert.deepEqual(unexpected, [], 'no console errors');
  assert.deepEqual(w.problems, [], 'no page errors');
  assert.equal(d.requests[ROUTES.login], 2);
});
