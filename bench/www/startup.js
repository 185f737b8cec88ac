// The start-up part's page: window.benchStartup(lib, bytesInHand, eagerGlue)
// loads one library and constructs its main object, once per fresh page, and
// returns the milliseconds of each phase, and of constructing a second object.
// window.benchCensus(lib) counts the browser calls one construction makes.
//   bytesInHand = false: from import() over the network to a ready object;
//                        the SDK's init() fetches its .wasm itself.
//   bytesInHand = true:  every byte fetched before the clock starts; the
//                        module is imported from a blob: URL and the SDK's
//                        init() gets the .wasm bytes (compile + instantiate).
//   eagerGlue = true:    (bytes in hand) the module text gets V8's compile
//                        hint, for the split's A/B of the glue's compile.

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
  // Issue 21's floor: what the SDK's constructor asks of the browser, in plain JS (floor.js).
  floor: {
    url: '/floor.js',
    async ready(m) {
      return () => new m.Floor();
    },
  },
  // The floor with the activity listeners a live session adds.
  'floor-activity': {
    url: '/floor.js',
    async ready(m) {
      return () => new m.Floor({ activity: true });
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

globalThis.benchStartup = async (name, bytesInHand, eagerGlue) => {
  const lib = libs[name];
  let url = lib.url;
  let wasmBytes;
  if (bytesInHand) {
    let source = await (await fetchOk(lib.url)).text();
    // V8's explicit compile hint: every function of the module compiled
    // eagerly while the module is compiled, none lazily on first call.
    if (eagerGlue) source = `//# allFunctionsCalledOnLoad\n${source}`;
    url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    if (lib.wasm) wasmBytes = new Uint8Array(await (await fetchOk(lib.wasm)).arrayBuffer());
  }
  const t0 = performance.now();
  const m = await import(url);
  const t1 = performance.now();
  const construct = await lib.ready(m, wasmBytes);
  const t2 = performance.now();
  // The marks bound the first constructor in a Chromium trace (parts/startup-split.mjs).
  performance.mark('bench:construct');
  const instance = construct();
  const t3 = performance.now();
  performance.mark('bench:constructed');
  // A second object in the same page, its code now warm: what the first
  // construction spent on compiling and first-run work.
  instance.dispose?.();
  const t4 = performance.now();
  globalThis.benchInstance = construct();
  const t5 = performance.now();
  return { total: t3 - t0, import: t1 - t0, init: t2 - t1, construct: t3 - t2, again: t5 - t4 };
};

// The browser calls a construction makes, counted by wrapping the APIs the
// SDK and the floor use: the floor row is only a floor if both ask the
// browser for the same things. Run in a page of its own, never timed.
// Returns { calls: { what: count }, listened: ['window online', ...] }.
const censused = [
  [globalThis, 'BroadcastChannel', 'new BroadcastChannel'],
  [globalThis, 'EventTarget', 'new EventTarget'],
  [globalThis, 'AbortController', 'new AbortController'],
  [globalThis, 'setTimeout', 'setTimeout'],
  [globalThis, 'fetch', 'fetch'],
  [BroadcastChannel.prototype, 'postMessage', 'BroadcastChannel.postMessage'],
  [globalThis.LockManager?.prototype, 'request', 'locks.request'],
];

globalThis.benchCensus = async (name) => {
  const lib = libs[name];
  const construct = await lib.ready(await import(lib.url));
  const calls = {};
  const listened = [];
  const count = (what) => { calls[what] = (calls[what] ?? 0) + 1; };
  const restore = [];
  const wrap = (owner, key, wrapper) => {
    const original = owner[key];
    owner[key] = wrapper(original);
    restore.push(() => { owner[key] = original; });
  };
  for (const [owner, key, what] of censused) {
    if (typeof owner?.[key] !== 'function') continue;
    // Constructors (they have a prototype) are counted on `new`, functions on call.
    wrap(owner, key, (original) => (original.prototype
      ? new Proxy(original, { construct(t, args, nt) { count(what); return Reflect.construct(t, args, nt); } })
      : function (...args) { count(what); return original.apply(this, args); }));
  }
  const targetName = (t) => (t === window ? 'window' : t === document ? 'document' : t?.constructor?.name ?? '?');
  wrap(EventTarget.prototype, 'addEventListener', (original) => function (type, ...rest) {
    count('addEventListener');
    listened.push(`${targetName(this)} ${type}`);
    return original.call(this, type, ...rest);
  });
  try {
    construct();
  } finally {
    while (restore.length) restore.pop()();
  }
  return { calls, listened };
};
