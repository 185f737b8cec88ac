// Each scenario's measured counts: printed as test diagnostics and collected
// in tests/e2e/out/counts/<file>.json, so a run leaves a record to quote.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { outDir } from './paths.mjs';

/** Records `counts` under `scenario` for the test file `file` (import.meta.url). */
export function record(t, file, scenario, counts) {
  t.diagnostic(`${scenario}: ${JSON.stringify(counts)}`);
  const dir = join(outDir, 'counts');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${basename(new URL(file).pathname, '.mjs')}.json`);
  let all = {};
  try {
    all = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // First record of this run for the file.
  }
  all[scenario] = counts;
  writeFileSync(path, JSON.stringify(all, null, 2) + '\n');
}
