#!/usr/bin/env node
// The bench (scripts/bench runs it after installing what it needs):
//   node bench/run.mjs [--only size,cpu,requests,startup,load]
// Prints the tables and a summary of the targets; a full run (no --only)
// also writes bench/results.md and docs/bench-requests.svg. The CPU and
// start-up parts run in Chromium and Firefox side by side, the requests part
// in Chromium (it needs Playwright's clock).
// A bench, not a test: nothing here asserts on a timing.
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { requestsChart } from './lib/chart.mjs';
import { benchDir, browserName, cleanup, ENGINES, launchChromium, launchFirefox, pkgReady, root, sdkWasm } from './lib/harness.mjs';
import { fixed, int, kib, markdown, skipped } from './lib/report.mjs';
import { runCpu } from './parts/cpu.mjs';
import { runLoad } from './parts/load.mjs';
import { runRequests, TAB_COUNTS } from './parts/requests.mjs';
import { runSize } from './parts/size.mjs';
import { runStartup } from './parts/startup.mjs';

// `browsers`: the engines a part runs in; it gets { chromium, firefox }.
const parts = {
  size: { title: '1. Bundle size', run: () => runSize(), browsers: [] },
  cpu: { title: '2. CPU per activity event', run: (b) => runCpu(b), browsers: ['chromium', 'firefox'] },
  requests: { title: '3. Requests per simulated hour', run: (b) => runRequests(b.chromium), browsers: ['chromium'] },
  startup: { title: '4. Start-up', run: (b) => runStartup(b), browsers: ['chromium', 'firefox'] },
  load: { title: '5. Reference server under load', run: () => runLoad(), browsers: [] },
};
const launchers = { chromium: launchChromium, firefox: launchFirefox };

function parseArgs(argv) {
  const i = argv.indexOf('--only');
  if (i < 0) return Object.keys(parts);
  const only = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = only.filter((p) => !parts[p]);
  if (!only.length || unknown.length) {
    console.error(`bench: --only takes a comma-separated list of ${Object.keys(parts).join(', ')}`);
    process.exit(2);
  }
  return only;
}

/** The bench's targets, from the parts' data: what was measured, met or by how much missed. */
function targets(data) {
  const rows = [];
  const size = data.size?.sdk;
  if (size) rows.push(['size ≤ 30 KiB gzip (.wasm + glue)', `${int(size.gzip)} B (${kib(size.gzip)})`, size.gzip <= 30720 ? 'met' : `missed by ${int(size.gzip - 30720)} B`]);
  for (const [engine, cpu] of Object.entries(data.cpu ?? {})) {
    if (!cpu.sdk) continue;
    for (const t of Object.keys(cpu.sdk)) {
      const r = cpu.sdk[t].aboveNoneNs / cpu.bare[t].aboveNoneNs;
      rows.push([`${engineName(engine)}, CPU per ${t}: (e)/(b) ≤ 0.1 (target; at first ≤ 1.0)`, `${fixed(r, 2)} (${fixed(cpu.sdk[t].aboveNoneNs)} vs ${fixed(cpu.bare[t].aboveNoneNs)} ns above (a))`, r <= 0.1 ? 'met' : `missed by ${fixed(r - 0.1, 2)}`]);
    }
  }
  const req = data.requests?.filter((r) => r.design === 'sdk');
  if (req?.length) {
    for (const mode of ['cookie', 'token']) {
      const act = TAB_COUNTS.map((n) => req.find((r) => r.mode === mode && r.active && r.tabs === n)).filter(Boolean);
      const idle = TAB_COUNTS.map((n) => req.find((r) => r.mode === mode && !r.active && r.tabs === n)).filter(Boolean);
      const keep = (r) => r.keepalive + r.refresh;
      const flat = new Set(act.map(keep)).size === 1;
      rows.push([`${mode}: requests/hour independent of tabs (active)`, act.map(keep).join(' / '), flat ? 'met' : `missed: ${Math.max(...act.map(keep)) - Math.min(...act.map(keep))} apart`]);
      const idleMax = Math.max(...idle.map(keep));
      rows.push([`${mode}: 0 requests/hour when idle`, `${idle.map(keep).join(' / ')} (+ logouts ${idle.map((r) => r.logout).join(' / ')})`, idleMax === 0 ? 'met' : `missed by ${idleMax}`]);
    }
  }
  for (const engine of ['chromium', 'firefox']) {
    const start = data.startup?.[engine];
    if (!start?.['sdk-bytes']) continue;
    const sdk = start['sdk-bytes'].total;
    const name = engineName(engine);
    rows.push([`${name}, start-up < 10 ms, bytes loaded`, `${fixed(sdk, 2)} ms`, sdk < 10 ? 'met' : `missed by ${fixed(sdk - 10, 2)} ms`]);
    for (const [peer, label] of [['oidc-bytes', 'target ≤ oidc-client-ts'], ['keycloak-bytes', 'goal ≤ keycloak-js']]) {
      const p = start[peer].total;
      rows.push([`${name}, start-up, bytes loaded: ${label}`, `${fixed(sdk, 2)} vs ${fixed(p, 2)} ms`, sdk <= p ? 'met' : `missed by ${fixed(sdk - p, 2)} ms`]);
    }
  }
  const split = data.startup?.split;
  if (split) {
    const above = [['Chromium', split.aboveFloor], ...(split.firefox ? [['Firefox', split.firefox.aboveFloor]] : [])];
    for (const [name, ms] of above) rows.push([`${name}, first constructor above the floor ≤ 5 ms`, `${fixed(ms, 2)} ms`, ms <= 5 ? 'met' : `missed by ${fixed(ms - 5, 2)} ms`]);
  }
  return { title: 'Targets', head: ['target', 'measured', 'result'], rows };
}

const engineName = (id) => ENGINES.find((e) => e.id === id)?.name ?? id;

/**
 * The browsers the chosen parts need, { chromium, firefox }; one that cannot
 * start is null (its columns say "not run") and the run fails at the end.
 */
async function launchBrowsers(names) {
  const browsers = { chromium: null, firefox: null };
  for (const name of names) {
    try {
      browsers[name] = await launchers[name]();
    } catch (e) {
      console.error(`bench: ${engineName(name)} did not start; its columns are left out: ${String(e.message ?? e).split('\n')[0]}`);
      process.exitCode = 1;
    }
  }
  return browsers;
}

const only = parseArgs(process.argv.slice(2));
const full = only.length === Object.keys(parts).length;
const began = Date.now();
const sections = [];
const data = {};
let browserVersions = 'no browser';
try {
  const browsers = await launchBrowsers([...new Set(only.flatMap((p) => parts[p].browsers ?? []))]);
  const started = Object.values(browsers).filter(Boolean);
  if (started.length) browserVersions = (await Promise.all(started.map(browserName))).map((n) => `${n} (headless)`).join(', ');
  if (!pkgReady()) console.error('bench: pkg/ is not built: the rows of this package are skipped (scripts/bench builds it)');
  for (const name of only) {
    const t0 = Date.now();
    console.error(`bench: ${parts[name].title} …`);
    try {
      const r = await parts[name].run(browsers);
      sections.push(...r.sections);
      data[name] = r.data;
      for (const s of r.sections) console.log('\n' + markdown(s));
    } catch (e) {
      console.error(`bench: ${name} failed: ${e.stack ?? e}`);
      sections.push(skipped(parts[name].title, `failed: ${String(e.message ?? e).split('\n')[0]}`));
      process.exitCode = 1;
    }
    console.error(`bench: ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  await cleanup();
}

const summary = targets(data);
console.log('\n' + markdown(summary));
const seconds = (Date.now() - began) / 1000;
console.error(`bench: done in ${fixed(seconds, 0)} s`);

if (full) {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const wasm = pkgReady() ? `${int(statSync(sdkWasm).size)} B .wasm` : 'pkg/ not built';
  const header = [
    '# Benchmark results',
    '',
    `Generated by \`scripts/bench\` on ${date}: ${availableParallelism()} cores (\`nproc\`), ${cpus()[0]?.model ?? 'unknown CPU'}, ${browserVersions}, Node ${process.version}; pkg/ ${wasm}. The whole run took ${fixed(seconds, 0)} s.`,
    'Every figure comes from this one run on this one machine; compare the ratios, not the absolute values across machines. Reproduce with `scripts/bench` (bench/README.md says what each part does).',
    '',
    '![requests per simulated hour by open tabs](../docs/bench-requests.svg)',
    '',
  ].join('\n');
  await writeFile(join(benchDir, 'results.md'), [header, ...[...sections, summary].map(markdown)].join('\n'));
  if (data.requests) {
    const caption = `keep-session-alive scripts/bench ${date.slice(0, 10)}: requests (1 / 5 / 10 tabs) the reference server received in one simulated hour; idle dashed`;
    await writeFile(join(root, 'docs', 'bench-requests.svg'), requestsChart(data.requests, caption));
  }
  console.error('bench: wrote bench/results.md and docs/bench-requests.svg');
}
