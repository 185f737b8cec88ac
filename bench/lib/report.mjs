// Statistics and table formatting shared by the parts. A part returns
// sections { title, head, rows, notes }; run.mjs prints them and writes them
// to results.md as the same Markdown.

export function median(values) {
  return quantile(values, 0.5);
}

/**
 * The approximate standard error of a sample's median: 1.2533 σ / √n, with σ
 * estimated from the interquartile range (IQR / 1.349), which a few slow
 * outliers barely move. Approximate for skewed samples: a guide to how far
 * apart two medians must be to differ.
 */
export function medianError(values) {
  const sigma = (quantile(values, 0.75) - quantile(values, 0.25)) / 1.349;
  return (1.2533 * sigma) / Math.sqrt(values.length);
}

/** The q-quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(values, q) {
  const v = Float64Array.from(values).sort();
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** 12 345 with a thin group separator, or the value as text when not a number. */
export function int(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n);
  return Math.round(n).toLocaleString('en-US').replaceAll(',', ' ');
}

export function fixed(n, digits = 1) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n);
  return n.toFixed(digits);
}

/** "0.42×", or "n/a" when the denominator is 0 or either side is missing. */
export function ratio(a, b, digits = 2) {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(digits)}×`;
}

export function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * A section as Markdown: "### title", a table padded to aligned columns (so
 * the terminal shows the same text the results file holds), then its notes.
 */
export function markdown({ title, head, rows, notes = [] }) {
  const table = [head, ...rows].map((r) => r.map((c) => String(c).replaceAll('|', '\\|')));
  const width = head.map((_, i) => Math.max(3, ...table.map((r) => [...(r[i] ?? '')].length)));
  const line = (r) => `| ${width.map((w, i) => (r[i] ?? '') + ' '.repeat(w - [...(r[i] ?? '')].length)).join(' | ')} |`;
  const lines = [`### ${title}`, '', line(table[0]), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const r of table.slice(1)) lines.push(line(r));
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

/** A placeholder section for a part that could not run, saying why. */
export function skipped(title, why) {
  return { title, head: ['skipped'], rows: [[why]] };
}
