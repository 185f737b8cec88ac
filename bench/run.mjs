#!/usr/bin/env node
// The bench (scripts/bench runs it after installing what it needs):
//   node bench/run.mjs [--only size,cpu,requests,startup,load]
// Prints the five tables and a summary of the targets; a full run (no
// --only) also writes bench/results.md and docs/bench-requests.svg.
// A bench, not a test: nothing here asserts on a timing.
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { requestsChart } from './lib/chart.mjs';
import { benchDir, cleanup, launchChromium, pkgReady, root, sdkWasm } from './lib/harness.mjs';
import { fixed, int, kib, markdown, skipped } from './lib/report.mjs';
import { runCpu } from './parts/cpu.mjs';
import { runLoad } from './parts/load.mjs';
import { runRequests, TAB_COUNTS } from './parts/requests.mjs';
import { runSize } from './parts/size.mjs';
import { runStartup } from './parts/startup.mjs';

const parts = {
  size: { title: '1. Bundle size', run: () => runSize() },
  cpu: { title: '2. CPU per activity event', run: (b) => runCpu(b), browser: true },
  requests: { title: '3. Requests per simulated hour', run: (b) => runRequests(b), browser: true },
  startup: { title: '4. Start-up', run: (b) => runStartup(b), browser: true },
  load: { title: '5. Reference server under load', run: () => runLoad() },
};

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

/** The targets of issue 14, from the parts' data: what was measured, met or by how much missed. */
function targets(data) {
  const rows = [];
  const size = data.size?.sdk;
  if (size) rows.push(['size ≤ 30 KiB gzip (.wasm + glue)', `${int(size.gzip)} B (${kib(size.gzip)})`, size.gzip <= 30720 ? 'met' : `missed by ${int(size.gzip - 30720)} B`]);
  const cpu = data.cpu;
  if (cpu?.sdk) {
    for (const t of Object.keys(cpu.sdk)) {
      const r = cpu.sdk[t].aboveNoneNs / cpu.bare[t].aboveNoneNs;
      rows.push([`CPU per ${t}: (e)/(b) ≤ 1.0`, `${fixed(r, 2)} (${fixed(cpu.sdk[t].aboveNoneNs)} vs ${fixed(cpu.bare[t].aboveNoneNs)} ns above (a))`, r <= 1 ? 'met' : `missed by ${fixed(r - 1, 2)}`]);
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
  const start = data.startup?.['sdk-bytes'];
  if (start) rows.push(['start-up < 10 ms, bytes loaded', `${fixed(start.total, 2)} ms`, start.total < 10 ? 'met' : `missed by ${fixed(start.total - 10, 2)} ms`]);
  return { title: 'Targets', head: ['target', 'measured', 'result'], rows };
}

const only = parseArgs(process.argv.slice(2));
const full = only.length === Object.keys(parts).length;
const began = Date.now();
const sections = [];
const data = {};
let browserVersion = 'not started';
try {
  const browser = only.some((p) => parts[p].browser) ? await launchChromium() : null;
  if (browser) browserVersion = `Chromium ${browser.version()}`;
  if (!pkgReady()) console.error('bench: pkg/ is not built: the rows of this package are skipped (scripts/bench builds it)');
  for (const name of only) {
    const t0 = Date.now();
    console.error(`bench: ${parts[name].title} …`);
    try {
      const r = await parts[name].run(browser);
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
    `Generated by \`scripts/bench\` on ${date}: ${availableParallelism()} cores (\`nproc\`), ${cpus()[0]?.model ?? 'unknown CPU'}, ${browserVersion} (headless), Node ${process.version}; pkg/ ${wasm}. The whole run took ${fixed(seconds, 0)} s.`,
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
