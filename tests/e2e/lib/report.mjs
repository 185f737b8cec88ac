// Each scenario's measured counts: printed as test diagnostics and collected
// in tests/e2e/out/counts/<file>.json, so a run leaves a record to quote.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eDir, outDir } from './paths.mjs';

/** Records `counts` under `scenario` for the test file `file` (import.meta.url). */
export function record(t, file, scenario, counts) {
  t.diagnostic(`${scenario}: ${JSON.stringify(counts)}`);
  const dir = join(outDir, 'counts');
  mkdirSync(dir, { recursive: true });
  // engines/tabs.test.mjs -> engines-tabs.test.json, beside tabs.test.json.
  const name = relative(e2eDir, fileURLToPath(file)).replace(/\.mjs$/, '').replaceAll('/', '-');
  const path = join(dir, `${name}.json`);
  let all = {};
  try {
    all = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // First record of this run for the file.
  }
  all[scenario] = counts;
  writeFileSync(path, JSON.stringify(all, null, 2) + '\n');
}
