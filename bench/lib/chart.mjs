// The requests-per-hour chart (docs/bench-requests.svg), drawn as plain SVG:
// one panel per session mode, tab count on x, requests per simulated hour on
// y, this SDK next to its seed design, active solid and idle dashed.
import { resultFor, TAB_COUNTS } from '../parts/requests.mjs';

const W = 380;
// The plot's height; the legend goes below it (LEGEND_ROW per series).
const H = 280;
const M = { top: 40, right: 18, bottom: 46, left: 52 };
const LEGEND_ROW = 16;
const LEGEND_ROWS = 3;
const colors = { sdk: '#1a7f37', seed000: '#cf222e', seed002: '#bc4c00' };

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// The top of the y axis: four grid steps of a round size that reach v.
function niceMax(v) {
  const step = v / 4;
  const p = 10 ** Math.floor(Math.log10(step));
  return 4 * [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((m) => m >= step);
}

function panel(x0, title, series) {
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y))));
  const px = (t) => x0 + M.left + ((t - 1) / (TAB_COUNTS.at(-1) - 1)) * (W - M.left - M.right);
  const py = (v) => M.top + (1 - v / max) * (H - M.top - M.bottom);
  const out = [`<text x="${x0 + M.left}" y="24" class="title">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + W - M.right}" y1="${py(v)}" y2="${py(v)}" class="grid"/>`, `<text x="${x0 + M.left - 6}" y="${py(v) + 4}" class="tick" text-anchor="end">${v}</text>`);
  }
  for (const t of TAB_COUNTS) out.push(`<text x="${px(t)}" y="${H - M.bottom + 18}" class="tick" text-anchor="middle">${t}</text>`);
  out.push(`<text x="${x0 + (M.left + W - M.right) / 2}" y="${H - 8}" class="axis" text-anchor="middle">open tabs</text>`);
  for (const s of series) {
    const pts = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of s.points) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
  }
  // The values go in the legend: the lines of one design overlap where
  // active and idle agree, so labels at the points would too.
  series.forEach((s, i) => {
    const y = H + 4 + i * LEGEND_ROW;
    const x = x0 + M.left - 30;
    const values = s.points.map((p) => p.y).join(' / ');
    out.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`, `<text x="${x + 28}" y="${y + 4}" class="legend">${esc(s.label)}: ${values}</text>`);
  });
  return out.join('\n');
}

/** The SVG text for the requests part's results (parts/requests.mjs data). */
export function requestsChart(results, caption) {
  const series = (design, mode, active, label, color) => ({
    label,
    color,
    dashed: !active,
    points: TAB_COUNTS.map((x) => {
      const r = resultFor(results, design, mode, active, x);
      return r && { x, y: r.keepalive + r.refresh };
    }).filter(Boolean),
  });
  const panels = [
    ['Cookie session: heartbeats per hour', [
      series('seed000', 'cookie', true, 'seed 000 (5 min, every tab), active or idle', colors.seed000),
      series('sdk', 'cookie', true, 'this SDK, active', colors.sdk),
      series('sdk', 'cookie', false, 'this SDK, idle', colors.sdk),
    ]],
    ['Token session: refreshes per hour', [
      series('seed002', 'token', true, 'seed 002 (every tab), active or idle', colors.seed002),
      series('sdk', 'token', true, 'this SDK, active', colors.sdk),
      series('sdk', 'token', false, 'this SDK, idle', colors.sdk),
    ]],
  ].map(([title, s]) => [title, s.filter((x) => x.points.length)]);
  const width = W * panels.length;
  const height = H + LEGEND_ROWS * LEGEND_ROW + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">
<style>
.title { font-size: 14px; font-weight: 600; fill: #1f2328 }
.tick, .axis { font-size: 11px; fill: #57606a }
.legend { font-size: 11px; fill: #1f2328 }
.grid { stroke: #d0d7de; stroke-width: 1 }
.caption { font-size: 10.5px; fill: #57606a }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${panels.map(([title, s], i) => panel(i * W, title, s)).join('\n')}
<text x="12" y="${height - 6}" class="caption">${esc(caption)}</text>
</svg>
`;
}
