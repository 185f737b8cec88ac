// What every tab of the engine-neutral suite runs before the package loads,
// the same text in every engine (it is sent as a function through the
// engine's evaluate). It installs:
//
// - A simulated clock (Playwright's `page.clock` exists only in Playwright,
//   so all three engines get this one instead): `Date`, `performance.now`
//   and the timer functions read and follow `window.ksaClock`. Timers run on
//   their own ticks; `jump()` moves `Date.now()` alone, like a laptop waking
//   from sleep (Playwright's `setSystemTime` does the same). A tab restored
//   from the back/forward cache takes the suite's time from localStorage
//   (`ksa-e2e-now`, written by the suite before it goes back) in its first
//   `pageshow` listener, so the package's own `pageshow` listener already
//   sees the time that passed while the tab was away.
// - A request log: every fetch() with its method, path, `keepalive` and
//   simulated send time (`window.ksaRequests`), and the number still in
//   flight (`window.ksaInflight`), which the suite waits on between steps.
// - A problem log (`window.ksaProblems`): uncaught errors, unhandled
//   rejections and console.error calls.
// - Offline by emulation (`window.ksaNetwork.setOffline`), for the engine
//   whose driver cannot take the browser offline (classic WebDriver):
//   `navigator.onLine`, the `offline`/`online` events, and fetch() failing
//   as it does without a network.
// - Optionally, no Web Locks: `Navigator.prototype.locks` is deleted, as in
//   a browser without them.
//
// `options`: { now, noWebLocks }.
export function prelude({ now, noWebLocks }) {
  if (window.ksaClock) return;
  const RealDate = Date;
  const realPerfNow = performance.now.bind(performance);
  // A real task, not a timer: timers are simulated here, and a real one would
  // be throttled in a background tab.
  const nextTask = () =>
    new Promise((r) => {
      const c = new MessageChannel();
      c.port1.onmessage = () => r();
      c.port2.postMessage(0);
    });

  // --- clock ---------------------------------------------------------------
  const clock = {
    ticks: 0, // simulated ms since install; timers run on these
    wall: now, // Date.now() at ticks 0 (jump() moves it)
    perf0: realPerfNow(),
    nextId: 1,
    timers: new Map(),
    now() {
      return this.wall + this.ticks;
    },
    add(fn, delay, args, repeat) {
      const ms = Math.max(0, Number(delay) || 0);
      const id = this.nextId++;
      this.timers.set(id, { id, fn, args, at: this.ticks + ms, every: repeat ? Math.max(1, ms) : 0 });
      return id;
    },
    /** Runs `ms` of simulated time: each due timer at its own time, a real task between two. */
    async runFor(ms) {
      const end = this.ticks + ms;
      for (;;) {
        let next = null;
        for (const t of this.timers.values()) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
        if (!next) break;
        this.ticks = Math.max(this.ticks, next.at);
        if (next.every) next.at += next.every;
        else this.timers.delete(next.id);
        try {
          if (typeof next.fn === 'function') next.fn(...next.args);
        } catch (e) {
          window.ksaProblems.push(`timer: ${e?.stack ?? e}`);
        }
        // Promise continuations and events that the timer caused run before the next one.
        await nextTask();
      }
      this.ticks = end;
    },
    jump(ms) {
      this.wall += ms;
    },
    setNow(t) {
      this.wall = t - this.ticks;
    },
  };
  window.ksaClock = clock;
  window.setTimeout = (fn, delay, ...args) => clock.add(fn, delay, args, false);
  window.setInterval = (fn, delay, ...args) => clock.add(fn, delay, args, true);
  window.clearTimeout = window.clearInterval = (id) => void clock.timers.delete(id);
  function FakeDate(...args) {
    if (!new.target) return new RealDate(clock.now()).toString();
    return args.length ? new RealDate(...args) : new RealDate(clock.now());
  }
  FakeDate.prototype = RealDate.prototype;
  FakeDate.now = () => clock.now();
  FakeDate.parse = RealDate.parse;
  FakeDate.UTC = RealDate.UTC;
  window.Date = FakeDate;
  performance.now = () => clock.perf0 + clock.ticks;
  addEventListener(
    'pageshow',
    (e) => {
      const t = Number(localStorage.getItem('ksa-e2e-now'));
      if (e.persisted && t > clock.now()) clock.setNow(t);
    },
    true,
  );

  // --- problems ------------------------------------------------------------
  window.ksaProblems = [];
  addEventListener('error', (e) => window.ksaProblems.push(`page error: ${e.message}`));
  addEventListener('unhandledrejection', (e) => window.ksaProblems.push(`unhandled rejection: ${e.reason?.stack ?? e.reason}`));
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    window.ksaProblems.push(`console error: ${args.map(String).join(' ')}`);
    consoleError(...args);
  };

  // --- network: request log, in-flight count, emulated offline --------------
  const network = {
    offline: false,
    setOffline(off) {
      this.offline = off;
      Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => !network.offline });
      dispatchEvent(new Event(off ? 'offline' : 'online'));
    },
  };
  window.ksaNetwork = network;
  window.ksaRequests = [];
  window.ksaInflight = 0;
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    try {
      const req = input instanceof Request ? input : null;
      const url = new URL(req ? req.url : String(input), location.href);
      const method = String(init?.method ?? req?.method ?? 'GET').toUpperCase();
      const keepalive = Boolean(init?.keepalive ?? req?.keepalive);
      window.ksaRequests.push({ path: url.pathname, method, keepalive, at: Date.now() });
    } catch {
      // Logging must never change what the page does.
    }
    if (network.offline) return Promise.reject(new TypeError('NetworkError: offline (emulated)'));
    window.ksaInflight++;
    // Counted out a task after it settles, so that what the reply caused has run.
    const done = () => nextTask().then(() => window.ksaInflight--);
    const p = realFetch.apply(this, arguments);
    p.then(done, done);
    return p;
  };

  // --- Web Locks -------------------------------------------------------------
  if (noWebLocks) delete Navigator.prototype.locks;
}
