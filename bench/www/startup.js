// The start-up part's page: window.benchStartup(lib, bytesInHand) loads one
// library and constructs its main object, once per fresh page, and returns
// the milliseconds of each phase, and of constructing a second object.
//   bytesInHand = false: from import() over the network to a ready object;
//                        the SDK's init() fetches its .wasm itself.
//   bytesInHand = true:  every byte fetched before the clock starts; the
//                        module is imported from a blob: URL and the SDK's
//                        init() gets the .wasm bytes (compile + instantiate).

const libs = {
  sdk: {
    url: '/pkg/keep_session_alive.js',
    wasm: '/pkg/keep_session_alive_bg.wasm',
    async ready(m, wasmBytes) {
      await (wasmBytes ? m.default({ module_or_path: wasmBytes }) : m.default());
      return () => new m.SessionKeeper({ loginUrl: '/api/auth/login', refreshUrl: '/api/auth/refresh', logoutUrl: '/api/auth/logout' });
    },
  },
  oidc: {
    url: '/out/peers/oidc-client-ts.js',
    async ready(m) {
      const { UserManager } = m.lib[0];
      return () => new UserManager({ authority: `${location.origin}/oidc`, client_id: 'bench', redirect_uri: `${location.origin}/callback`, automaticSilentRenew: true });
    },
  },
  keycloak: {
    url: '/out/peers/keycloak-js.js',
    async ready(m) {
      const Keycloak = m.lib[0].default;
      return () => new Keycloak({ url: `${location.origin}/kc`, realm: 'bench', clientId: 'bench' });
    },
  },
};

async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

globalThis.benchStartup = async (name, bytesInHand) => {
  const lib = libs[name];
  let url = lib.url;
  let wasmBytes;
  if (bytesInHand) {
    const source = await (await fetchOk(lib.url)).text();
    url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    if (lib.wasm) wasmBytes = new Uint8Array(await (await fetchOk(lib.wasm)).arrayBuffer());
  }
  const t0 = performance.now();
  const m = await import(url);
  const t1 = performance.now();
  const construct = await lib.ready(m, wasmBytes);
  const t2 = performance.now();
  const instance = construct();
  const t3 = performance.now();
  // A second object in the same page, its code now warm: what the first
  // construction spent on compiling and first-run work.
  instance.dispose?.();
  const t4 = performance.now();
  globalThis.benchInstance = construct();
  const t5 = performance.now();
  return { total: t3 - t0, import: t1 - t0, init: t2 - t1, construct: t3 - t2, again: t5 - t4 };
};
