// Server-side rendering, Angular 22 with @angular/ssr (the CLI's application
// builder, outputMode "server"): angular-app/ is the npm README's recipe
// (src/app/app.config.ts provides the keeper, src/app/app.config.server.ts
// merges it into the server's providers, src/app/session-status.ts shows its
// state), with the home page prerendered by `ng build` and the account page
// rendered on each request by the app's Express server (src/server.ts, as
// the CLI generates it). The scenario is ssrScenario's (lib.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { record } from '../lib/report.mjs';
import { outDir } from '../lib/paths.mjs';
import { appDir, assertRecipe, build, installPacked, node22, ssrScenario, startApp } from './lib.mjs';

test('SSR 3. an Angular 22 app with @angular/ssr from the README recipe: ng build prerenders, the server renders both routes, the page hydrates, signs in, heartbeats only while active, one keeper across a client-side navigation', async (t) => {
  const dir = appDir('angular-app');
  assertRecipe(dir, ['src/app/app.config.ts', 'src/app/app.config.server.ts', 'src/app/session-status.ts']);
  installPacked(dir);
  const node = node22(dir);
  const dist = join(outDir, 'angular-ssr');
  const env = { NG_CLI_ANALYTICS: 'false' };
  const built = Date.now();
  build(node, [join(dir, 'node_modules/@angular/cli/bin/ng.js'), 'build', '--output-path', dist], { cwd: dir, env });
  const buildMs = Date.now() - built;
  assert.ok(existsSync(join(dist, 'browser/keep_session_alive_bg.wasm')), 'the assets entry serves the .wasm next to the scripts');
  assert.ok(existsSync(join(dist, 'browser/index.html')), 'ng build prerendered the home page');
  const ran = Date.now();
  const result = await ssrScenario({
    name: 'angular',
    holdsHydration: true,
    start: () => startApp({ command: node, args: [join(dist, 'server/server.mjs')], cwd: dir, env }),
  });
  // Real durations, for the record only (nothing asserts on them).
  record(t, import.meta.url, 'SSR 3 angular', { ...result, buildRealMs: buildMs, scenarioRealMs: Date.now() - ran });
});
