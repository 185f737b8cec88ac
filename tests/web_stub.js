// Test stub for tests/web.rs: a scripted `fetch`, and bookkeeping of the
// window/document listeners and timers created while a test runs.
//
// Installed once per page (idempotent); `stubReset()` starts a fresh test.
// The stub's own delays and the tests' sleeps use the original setTimeout, so
// `liveTimers()` counts only timers created by the code under test.

const S = globalThis.__ksaStub || (globalThis.__ksaStub = { installed: false });

function install() {
  if (S.installed) return;
  S.installed = true;
  S.routes = new Map(); // pathname -> [response spec]
  S.requests = [];
  S.listeners = new Map(); // "target|type|capture" -> Set(listener)
  S.timers = new Set();
  S.origSetTimeout = globalThis.setTimeout.bind(globalThis);
  S.origClearTimeout = globalThis.clearTimeout.bind(globalThis);
  S.origFetch = globalThis.fetch ? globalThis.fetch.bind(globalThis) : null;

  // ---- timers ----
  globalThis.setTimeout = function (fn, ms, ...args) {
    let id;
    id = S.origSetTimeout(function () {
      S.timers.delete(id);
      if (typeof fn === 'function') return fn.apply(this, args);
    }, ms);
    S.timers.add(id);
    return id;
  };
  globalThis.clearTimeout = function (id) {
    S.timers.delete(id);
    return S.origClearTimeout(id);
  };

  // ---- listeners on window and document ----
  const capture = (o) => (typeof o === 'boolean' ? o : !!(o && o.capture));
  const wrap = (target, label) => {
    const add = target.addEventListener;
    const remove = target.removeEventListener;
    target.addEventListener = function (type, listener, options) {
      const r = add.call(this, type, listener, options);
      // A page whose patched addEventListener calls back into the keeper.
      if (S.onAdd && S.onAdd.type === type) {
        const hook = S.onAdd;
        S.onAdd = null;
        hook.f();
      }
      if (listener) {
        const key = label + '|' + type + '|' + capture(options);
        if (!S.listeners.has(key)) S.listeners.set(key, new Set());
        S.listeners.get(key).add(listener);
      }
      return r;
    };
    target.removeEventListener = function (type, listener, options) {
      const r = remove.call(this, type, listener, options);
      const set = S.listeners.get(label + '|' + type + '|' + capture(options));
      if (set) set.delete(listener);
      return r;
    };
  };
  wrap(window, 'window');
  wrap(document, 'document');

  // ---- fetch ----
  globalThis.fetch = async function (input, init) {
    const req = new Request(input, init);
    const url = new URL(req.url);
    let body = null;
    try { body = await req.clone().text(); } catch (_) { body = null; }
    const headers = {};
    req.headers.forEach((v, k) => { headers[k] = v; });
    const record = {
      url: req.url,
      path: url.pathname,
      method: req.method,
      headers,
      auth: req.headers.get('Authorization'),
      credentials: req.credentials,
      redirect: req.redirect,
      keepalive: req.keepalive,
      body,
      time: Date.now(),
      seq: S.requests.length,
    };
    S.requests.push(record);
    const script = S.routes.get(url.pathname);
    let spec = { status: 404, text: 'not found' };
    if (script && script.length) spec = script.length > 1 ? script.shift() : script[0];
    const signal = req.signal;
    if (spec.delay) {
      await new Promise((resolve, reject) => {
        const t = S.origSetTimeout(resolve, spec.delay);
        if (signal) signal.addEventListener('abort', () => { S.origClearTimeout(t); reject(new DOMException('aborted', 'AbortError')); });
      });
    }
    if (signal && signal.aborted) throw new DOMException('aborted', 'AbortError');
    if (spec.network) throw new TypeError('Failed to fetch (stub)');
    // Status 0: a redirect not followed comes back as an opaque redirect, which
    // only the network makes; Response.error() is the status-0 response a stub can.
    if (spec.status0) return Response.error();
    // A broken fetch wrapper: fulfils with something that only looks like a Response.
    if (spec.notResponse) return { ok: true, status: 200, text: async () => '{}' };
    const h = new Headers(spec.headers || {});
    if (spec.stall) {
      // Headers now, then part of a body that never ends (until the request is aborted).
      const body = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"accessToken":'));
          if (signal) signal.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { status: spec.status || 200, headers: h });
    }
    let text = '';
    if (spec.json !== undefined) {
      text = JSON.stringify(spec.json);
      if (!h.has('Content-Type')) h.set('Content-Type', 'application/json');
    } else if (spec.text !== undefined) {
      text = spec.text;
    }
    // A null-body status (204, 205, 304) takes no body, not even an empty one.
    const status = spec.status || 200;
    return new Response([204, 205, 304].includes(status) ? null : text, { status, headers: h });
  };
}

/// Calls `f` synchronously, once, from inside the next addEventListener(type) on window or document.
export function whenListenerAdded(type, f) {
  install();
  S.onAdd = { type, f };
}

export function stubReset() {
  install();
  S.onAdd = null;
  S.routes.clear();
  S.requests.length = 0;
  S.listeners.clear();
  S.timers.clear();
}

/// `responses`: JSON text of an array of {status, json?, text?, delay?, headers?, network?, stall?};
/// each request takes the next one, the last one repeats.
export function stubRoute(path, responses) {
  install();
  S.routes.set(path, JSON.parse(responses));
}

export function stubRequests() {
  install();
  return S.requests.slice();
}

/// Requests to `path` with sequence number >= `since`.
export function stubCount(path, since) {
  install();
  return S.requests.filter((r) => r.path === path && r.seq >= since).length;
}

export function stubSeq() {
  install();
  return S.requests.length;
}

/// Live listeners on 'window' or 'document' added since the last reset; `type` '' = all types.
export function liveListeners(target, type) {
  install();
  let n = 0;
  for (const [key, set] of S.listeners) {
    const [t, ty] = key.split('|');
    if (t === target && (type === '' || ty === type)) n += set.size;
  }
  return n;
}

export function liveListenerKeys() {
  install();
  const out = [];
  for (const [key, set] of S.listeners) if (set.size) out.push(key + ' x' + set.size);
  return out.join(', ');
}

export function liveTimers() {
  install();
  return S.timers.size;
}

export function realSleep(ms) {
  install();
  return new Promise((resolve) => S.origSetTimeout(resolve, ms));
}

/// Everything the page keeps where scripts or the URL can see it.
export function visibleStorage() {
  const parts = [];
  for (const store of [localStorage, sessionStorage]) {
    for (let i = 0; i < store.length; i++) {
      const k = store.key(i);
      parts.push(k + '=' + store.getItem(k));
    }
  }
  parts.push('cookie:' + document.cookie);
  parts.push('href:' + location.href);
  parts.push('name:' + window.name);
  return parts.join('\n');
}

export function jsonStringify(v) {
  return JSON.stringify(v);
}

export function dispatchOn(target, type) {
  const t = target === 'document' ? document : window;
  t.dispatchEvent(new Event(type));
}

/// Makes document.visibilityState read `state` (undefined: the browser's own again).
export function setVisibility(state) {
  if (state === undefined) delete document.visibilityState;
  else Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
}

/// Makes navigator.locks refuse every lock whose name contains `marker`, as a
/// browser does for names it does not accept or in an opaque origin.
export function denyLocks(marker) {
  install();
  const locks = navigator.locks;
  if (!locks || S.denyInstalled) { S.denyMarker = marker; return; }
  S.denyInstalled = true;
  S.denyMarker = marker;
  const request = locks.request.bind(locks);
  locks.request = function (name, ...rest) {
    if (S.denyMarker && String(name).includes(S.denyMarker)) {
      return Promise.reject(new DOMException('refused (stub)', 'NotSupportedError'));
    }
    return request(name, ...rest);
  };
}

/// A scripted app callback for the `refresh`, `keepalive` and `logout`
/// options. Each call takes the next step of `script` (the last repeats):
/// {resolve: v, delay?: ms}, {reject: true}, {throw: true}, {hang: true},
/// {plain: v} (returns v itself, not a promise). The calls are recorded
/// under `name`: how many, how many at once at most (across every keeper
/// of the page, which is what "one tab at a time" means here).
export function scriptedCallback(name, script) {
  install();
  S.callbacks = S.callbacks || {};
  const rec = (S.callbacks[name] = { calls: 0, inFlight: 0, maxInFlight: 0 });
  const steps = JSON.parse(script);
  return function () {
    const step = steps.length > 1 ? steps.shift() : steps[0];
    rec.calls++;
    if (step.throw) throw new Error('callback threw (stub)');
    if (step.plain !== undefined) return step.plain;
    rec.inFlight++;
    rec.maxInFlight = Math.max(rec.maxInFlight, rec.inFlight);
    const done = () => { rec.inFlight--; };
    if (step.hang) return new Promise(() => {});
    return new Promise((resolve, reject) => {
      S.origSetTimeout(() => {
        done();
        if (step.reject) reject(new Error('callback rejected (stub)'));
        else resolve(step.resolve);
      }, step.delay || 0);
    });
  };
}

/// What `scriptedCallback(name, …)` recorded: {calls, inFlight, maxInFlight}.
export function callbackCalls(name) {
  return (S.callbacks && S.callbacks[name]) || { calls: 0, inFlight: 0, maxInFlight: 0 };
}

/// A tab that took the Web Lock `name` and hung: it never releases it.
/// Returns a function telling whether the lock was taken over (stolen) since.
export function hangOnLock(name) {
  let stolen = false;
  navigator.locks
    .request(name, () => new Promise(() => {}))
    .catch((e) => { stolen = e && e.name === 'AbortError'; });
  return () => stolen;
}

/// `navigator.locks` reads undefined (true), as in a browser without Web
/// Locks, or the browser's own again (false).
export function hideLocks(hidden) {
  if (hidden) Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  else delete navigator.locks;
}
