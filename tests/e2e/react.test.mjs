// Scenario 13: a minimal Vite 8 + React 19 app (tests/e2e/react-app/) on the
// built package and its React entry point, built for production and run in
// Chromium against the reference server: sign in, a refresh, the idle
// warning from the hook's state, sign out. Built twice: on pkg/ (the web
// target, the package's file: dependency) and on pkg-bundler/ (the bundler
// target, by alias), which Vite both takes without a wasm plugin. The
// hooks' declarations are type-checked first (react-types/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { World, ROUTES, delta } from './lib/harness.mjs';
import { record } from './lib/report.mjs';
import { e2eDir, outDir, root } from './lib/paths.mjs';

const appDir = join(e2eDir, 'react-app');
const TTL = 300_000;

async function buildApp(name, alias) {
  const dist = join(outDir, name);
  await build({
    root: appDir,
    configFile: join(appDir, 'vite.config.js'),
    build: { outDir: dist, emptyOutDir: true },
    resolve: alias ? { alias } : undefined,
  });
  return dist;
}

async function run(t, name, alias) {
  const dist = await buildApp(name, alias);
  const assets = readdirSync(join(dist, 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `the build emitted the .wasm: ${assets}`);
  const w = await World.start({ server: { wwwDir: dist, flags: { accessTtlSecs: TTL / 1000, idleTimeoutSecs: 900 } } });
  try {
    const tab = await w.open(null, { name });
    const page = tab.page;
    const status = () => page.getByTestId('status').textContent();
    // The app's keeper restores first (no cookie yet: signed out).
    for (let i = 0; i < 50 && (await status()) !== 'signed out'; i++) await w.advance(100, { step: 100 });
    assert.equal(await status(), 'signed out');
    const before = await w.counters();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await w.settle();
    assert.equal(await w.until(status, (s) => s === 'signed in'), 'signed in');
    const firstExpiry = Number(await page.getByTestId('expires').textContent());

    // Quiet: the hook polls every second, and nothing changes, so React
    // gets the same snapshot and does not render.
    const rendersBefore = await page.evaluate(() => window.renders);
    await w.advance(20_000, { step: 1_000 });
    const quietRenders = (await page.evaluate(() => window.renders)) - rendersBefore;

    // Active through the first refresh.
    await w.advance(TTL - 60_000, { step: 10_000, each: () => tab.activity() });
    const refreshes = Number(await page.getByTestId('refreshes').textContent());
    const laterExpiry = Number(await page.getByTestId('expires').textContent());

    // Then idle: the warning dialog comes from useSessionState.
    const hidden = await page.getByTestId('warning').count();
    await w.advance(95_000, { step: 5_000 });
    const dialog = page.getByTestId('warning');
    const warningText = (await dialog.count()) ? await dialog.textContent() : null;
    const stateWarning = await page.evaluate(() => window.keeper.state.warningRemainingMs);

    // "Log out" in the dialog.
    await dialog.getByRole('button', { name: 'Log out' }).click();
    await w.settle();
    const after = await w.until(status, (s) => s === 'signed out');
    const reason = await page.getByTestId('reason').textContent();
    const d = delta(before, await w.counters());
    const counts = {
      build: name,
      quietRendersIn20sOfPolling: quietRenders,
      refreshes,
      serverRefreshes: d.refreshes,
      warningText,
      logoutRequests: d.requests[ROUTES.logout] ?? 0,
      reason,
    };
    assert.equal(quietRenders, 0, 'no render while nothing changed');
    assert.ok(refreshes >= 1, 'a refresh, seen through useSessionEvent');
    assert.ok(laterExpiry > firstExpiry, 'the new expiry, seen through useSessionState');
    assert.equal(hidden, 0, 'no dialog while active');
    assert.ok(stateWarning !== null, 'the keeper has a warning up');
    assert.match(warningText ?? '', /signed out in \d+ s/);
    assert.equal(after, 'signed out');
    assert.equal(reason, 'last logout: user');
    assert.equal(d.requests[ROUTES.logout], 1);
    assert.deepEqual(w.problems, []);
    return counts;
  } finally {
    await w.close();
  }
}

test('13. a Vite 8 + React 19 app on the built package: its production build signs in, refreshes, shows the idle warning from the hook’s state and signs out', async (t) => {
  assert.ok(existsSync(join(root, 'pkg/react.js')), 'pkg/ has the React entry point (scripts/build-pkg)');
  // The hooks' types: checked with the repository's TypeScript (its root node_modules).
  const tsc = join(root, 'node_modules/.bin/tsc');
  assert.ok(existsSync(tsc), `${tsc} is missing: npm ci in the repository root`);
  execFileSync(tsc, ['-p', join(e2eDir, 'react-types')], { cwd: root, stdio: 'inherit' });
  const web = await run(t, 'react-web');
  const bundler = await run(t, 'react-bundler', { 'keep-session-alive': join(root, 'pkg-bundler') });
  record(t, import.meta.url, 'scenario 13', { web, bundler });
});
