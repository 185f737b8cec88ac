// Server-side rendering, Next.js 16 (App Router, Turbopack): next-app/ is the
// npm README's recipe (app/session-keeper.js makes the page's one keeper after
// `await init()` in a 'use client' module; app/session-status.jsx shows its
// state with the React hooks), a prerendered home page and an account page
// rendered on each request. `next build` prerenders on the package's server
// module; `next start` serves the app; the scenario is ssrScenario's (lib.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { record } from '../lib/report.mjs';
import { appDir, assertRecipe, build, installPacked, node22, ssrScenario, startApp } from './lib.mjs';

test('SSR 1. a Next.js 16 App Router app from the README recipe: next build prerenders, the server renders both routes, the page hydrates, signs in, heartbeats only while active, one keeper across a client-side navigation', async (t) => {
  const dir = appDir('next-app');
  assertRecipe(dir, ['app/session-keeper.js', 'app/session-status.jsx']);
  installPacked(dir);
  const node = node22(dir);
  const next = join(dir, 'node_modules/next/dist/bin/next');
  const env = { NEXT_TELEMETRY_DISABLED: '1' };
  const built = Date.now();
  build(node, [next, 'build'], { cwd: dir, env });
  const buildMs = Date.now() - built;
  const media = readdirSync(join(dir, '.next/static/media'));
  assert.ok(media.some((f) => /^keep_session_alive_bg\..*\.wasm$/.test(f)), `next build emitted the .wasm with the client chunks: ${media}`);
  const ran = Date.now();
  const result = await ssrScenario({
    name: 'next',
    start: () => startApp({ command: node, args: (port) => [next, 'start', '-H', '127.0.0.1', '-p', String(port)], cwd: dir, env }),
  });
  // Real durations, for the record only (nothing asserts on them).
  record(t, import.meta.url, 'SSR 1 next', { ...result, buildRealMs: buildMs, scenarioRealMs: Date.now() - ran });
});
