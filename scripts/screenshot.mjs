#!/usr/bin/env node
// Takes docs/demo.png: opens the demo, signs in with the prefilled demo
// credentials, calls GET /api/profile, waits ~2 s and saves a 1280x900 shot.
//
//   node scripts/screenshot.mjs [BASE_URL] [--out docs/demo.png]
//   BASE_URL defaults to http://127.0.0.1:8080 (start it with ./scripts/demo).
//
// Uses playwright-core (npm ci) with the system Chromium, never a downloaded
// browser: CHROMIUM=/path/to/chromium overrides /usr/bin/chromium.
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './lib/chromium.mjs';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let out = resolve(root, 'docs/demo.png');
let base = 'http://127.0.0.1:8080';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = resolve(args[++i]);
  else if (args[i] === '-h' || args[i] === '--help') {
    console.log('usage: node scripts/screenshot.mjs [BASE_URL] [--out FILE]');
    process.exit(0);
  } else base = args[i];
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: chromiumArgs,
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, colorScheme: 'light' });
  const page = await context.newPage();
  page.on('pageerror', (err) => {
    failed = true;
    console.error(`page error: ${err.message}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.error(`console: ${msg.text()}`);
  });

  await page.goto(new URL('/', base).href, { waitUntil: 'load' });
  await page.waitForFunction(() => document.getElementById('status-text')?.textContent !== 'Loading…', null, { timeout: 10_000 });
  if (await page.locator('#fatal').isVisible()) throw new Error(`demo did not start: ${await page.locator('#fatal').textContent()}`);

  await page.locator('#login-btn').click();
  await page.locator('#signed-in').waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator('#profile-btn').click();
  await page.waitForFunction(() => document.getElementById('profile-result')?.textContent?.startsWith('HTTP'), null, { timeout: 10_000 });
  await page.mouse.move(640, 880); // keep the pointer off the buttons
  await page.waitForTimeout(2_000);

  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`screenshot: wrote ${out}`);
} catch (err) {
  failed = true;
  console.error(`screenshot: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
