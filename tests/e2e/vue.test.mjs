// Scenario 16: a Vue 3 app (tests/e2e/vue-app/) on the built package and
// keep-session-alive/vue, built for production with Vite (the app's own
// vite), twice: on pkg/ (the web target, the app's file: dependency) and on
// pkg-bundler/ (the bundler target, by alias). Each build runs the two-tab
// scenario of lib/apps.mjs against the reference server: sign in (the second
// tab follows), 20 s of unchanged state with every component render counted,
// the idle warning from the shallow ref, "Stay signed in", "Sign out" (the
// second tab follows), then the app unmounted. The warning dialog is the npm
// README's, and the entry's declarations are type-checked first (vue-types/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appDir, assertInReadme, assertPublished, run, twoTabScenario } from './lib/apps.mjs';
import { record } from './lib/report.mjs';
import { e2eDir, outDir, root } from './lib/paths.mjs';

function viteBuild(dir, name, pkg) {
  const dist = join(outDir, name);
  run(process.execPath, [join(dir, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', dist, '--emptyOutDir'], {
    cwd: dir,
    env: pkg ? { KSA_APP_PKG: pkg } : {},
  });
  const assets = readdirSync(join(dist, 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `the build emitted the .wasm: ${assets}`);
  return dist;
}

test('16. a Vue 3 app on the built package, web and bundler targets: its Vite build signs in (a second tab follows), renders nothing in 20 s of unchanged state, shows the idle warning from the ref, stays signed in on request and signs out (the second tab follows)', async (t) => {
  assert.ok(existsSync(join(root, 'pkg/vue.js')), 'pkg/ has the Vue entry point (scripts/build-pkg)');
  const dir = appDir('vue-app');
  assertPublished('./vue');
  assertInReadme(join(dir, 'src/SessionWarning.vue'));
  // The entry's types: with the repository's TypeScript (its root node_modules).
  run(join(root, 'node_modules/.bin/tsc'), ['-p', join(e2eDir, 'vue-types')], { cwd: root });
  const web = await twoTabScenario({ name: 'vue-web', dist: viteBuild(dir, 'vue-web') });
  const bundler = await twoTabScenario({ name: 'vue-bundler', dist: viteBuild(dir, 'vue-bundler', join(root, 'pkg-bundler')) });
  record(t, import.meta.url, 'scenario 16', { web, bundler });
});
