// Server-side rendering, Nuxt 4 (Vite, Nitro's node-server preset): nuxt-app/
// is the npm README's recipe (app/plugins/keep-session-alive.client.js makes
// the page's one keeper in the browser only; app/components/SessionStatus.vue
// shows its state with the Vue composables, which answer on the server
// without a keeper), with two pages rendered on each request. `nuxt build`
// builds the client and the server; the scenario is ssrScenario's (lib.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { record } from '../lib/report.mjs';
import { appDir, assertRecipe, build, installPacked, node22, ssrScenario, startApp } from './lib.mjs';

test('SSR 2. a Nuxt 4 app from the README recipe: nuxt build, the server renders both routes, the page hydrates, signs in, heartbeats only while active, one keeper across a client-side navigation', async (t) => {
  const dir = appDir('nuxt-app');
  assertRecipe(dir, ['app/plugins/keep-session-alive.client.js', 'app/components/SessionStatus.vue']);
  installPacked(dir);
  const node = node22(dir);
  const env = { NUXT_TELEMETRY_DISABLED: '1' };
  const built = Date.now();
  build(node, [join(dir, 'node_modules/nuxt/bin/nuxt.mjs'), 'build'], { cwd: dir, env });
  const buildMs = Date.now() - built;
  const assets = readdirSync(join(dir, '.output/public/_nuxt'));
  assert.ok(assets.some((f) => /^keep_session_alive_bg\..*\.wasm$/.test(f)), `nuxt build emitted the .wasm with the client assets: ${assets}`);
  const ran = Date.now();
  const result = await ssrScenario({
    name: 'nuxt',
    holdsHydration: true,
    start: () => startApp({ command: node, args: [join(dir, '.output/server/index.mjs')], cwd: dir, env }),
  });
  // Real durations, for the record only (nothing asserts on them).
  record(t, import.meta.url, 'SSR 2 nuxt', { ...result, buildRealMs: buildMs, scenarioRealMs: Date.now() - ran });
});
