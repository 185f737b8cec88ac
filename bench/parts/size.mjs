// 1. Bundle size: this package's .wasm + JS glue next to each peer bundled
// the same way (lib/bundle.mjs), and the composition a user would assemble.
import { bundle, fileSizes } from '../lib/bundle.mjs';
import { pkgReady, sdkGlue, sdkWasm } from '../lib/harness.mjs';
import { int, kib, ratio } from '../lib/report.mjs';

const BUDGET = 30 * 1024;

// What each covers of the job: idle detection, keepalive of a server session,
// token refresh, cross-tab coordination. From each library's documentation.
const peers = [
  { name: 'react-idle-timer', modules: ['react-idle-timer'], covers: ['yes', 'no', 'no', 'yes (crossTab, leader election)'] },
  { name: '@ng-idle/core + @ng-idle/keepalive', modules: ['@ng-idle/core', '@ng-idle/keepalive'], covers: ['yes', 'yes (fixed interval while not idle)', 'no', 'partial (expiry shared in localStorage)'] },
  { name: 'oidc-client-ts', modules: ['oidc-client-ts'], covers: ['no', 'no', 'yes (automaticSilentRenew)', 'no (each tab renews)'] },
  { name: '@auth0/auth0-spa-js', modules: ['@auth0/auth0-spa-js'], covers: ['no', 'no', 'yes (getTokenSilently)', 'partial (a lock around refresh)'] },
  { name: '@okta/okta-auth-js', modules: ['@okta/okta-auth-js'], covers: ['no', 'manual (session.refresh)', 'yes (autoRenew)', 'yes (storage sync, leader)'] },
  { name: '@supabase/auth-js', modules: ['@supabase/auth-js'], covers: ['no', 'no', 'yes (autoRefreshToken)', 'yes (BroadcastChannel, locks)'] },
  { name: 'keycloak-js', modules: ['keycloak-js'], covers: ['no', 'no', 'manual (updateToken)', 'no'] },
  { name: 'idle-timeout', modules: ['idle-timeout'], covers: ['yes', 'no', 'no', 'no'] },
  { name: 'broadcast-channel', modules: ['broadcast-channel'], covers: ['no', 'no', 'no', 'yes (messages, leader election)'] },
  {
    name: 'composition: react-idle-timer + oidc-client-ts + broadcast-channel',
    modules: ['react-idle-timer', 'oidc-client-ts', 'broadcast-channel'],
    covers: ['yes', 'no (app code)', 'yes', 'partial (app wires it)'],
  },
];
const sdkCovers = ['yes', 'yes (activity-driven)', 'yes (single-flight)', 'yes (leader, one refresh)'];

/** bench/.out/peers/<file>.js for a peer: the start-up part loads the same bundles. */
export const peerFile = (name) => `peers/${name.replace(/^composition.*/, 'composition').replace(/[^a-z0-9]+/gi, '-')}.js`;

/**
 * The whole public API of each module: a namespace import kept alive by
 * exporting it, so tree-shaking keeps what a user could call (the SDK's glue
 * is measured whole, too).
 */
function entrySource(modules) {
  return modules.map((m, i) => `import * as m${i} from '${m}';`).join('\n') + `\nexport const lib = [${modules.map((_, i) => `m${i}`).join(', ')}];\n`;
}

/** Bundles every peer into bench/.out/peers/ (the start-up part loads them). */
export async function bundlePeers() {
  const out = [];
  for (const p of peers) out.push({ ...p, ...(await bundle({ source: entrySource(p.modules), outFile: peerFile(p.name) })) });
  return out;
}

export async function runSize() {
  const bundled = await bundlePeers();
  let sdk = null;
  if (pkgReady()) {
    const wasm = await fileSizes(sdkWasm);
    const glue = await fileSizes(sdkGlue);
    sdk = { raw: wasm.raw + glue.raw, gzip: wasm.gzip + glue.gzip, brotli: wasm.brotli + glue.brotli, wasm, glue };
  }
  const head = ['library', 'minified', 'gzip', 'brotli', 'gzip vs this SDK', 'idle', 'keepalive', 'refresh', 'cross-tab'];
  const sdkRow = sdk
    ? ['**keep-session-alive** (.wasm + JS glue)', int(sdk.raw), int(sdk.gzip), int(sdk.brotli), '1.00×', ...sdkCovers]
    : ['**keep-session-alive**', 'pkg/ not built', '', '', '', ...sdkCovers];
  const rows = [sdkRow];
  for (const b of bundled) rows.push([b.name, int(b.raw), int(b.gzip), int(b.brotli), sdk ? ratio(b.gzip, sdk.gzip) : 'n/a', ...b.covers]);
  const notes = [
    'Bytes. gzip level 9 and brotli quality 11 (node:zlib). Peers: esbuild --bundle --minify --format=esm, platform browser, NODE_ENV=production, react, react-dom, @angular/* and rxjs external; every export of the package kept (namespace import).',
  ];
  if (sdk) {
    notes.push(
      `keep-session-alive: .wasm ${int(sdk.wasm.raw)} B (gzip ${int(sdk.wasm.gzip)}, brotli ${int(sdk.wasm.brotli)}), glue ${int(sdk.glue.raw)} B (gzip ${int(sdk.glue.gzip)}, brotli ${int(sdk.glue.brotli)}).`,
      `Target ≤ 30 KiB gzip: ${kib(sdk.gzip)} (${int(sdk.gzip)} B), ${sdk.gzip <= BUDGET ? `met, ${int(BUDGET - sdk.gzip)} B to spare` : `missed by ${int(sdk.gzip - BUDGET)} B`}.`,
    );
  }
  return { sections: [{ title: '1. Bundle size', head, rows, notes }], data: { sdk, peers: bundled.map(({ name, raw, gzip, brotli }) => ({ name, raw, gzip, brotli })) } };
}
