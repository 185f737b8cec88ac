// The CPU part's page. ?config= picks what listens to activity; the bench
// then calls window.benchRound(type, count, batch) and reads the milliseconds.
import { startSeed001 } from '/baselines/seed001-activity-timer.js';

const EVENTS = ['pointermove', 'keydown'];
const config = new URLSearchParams(location.search).get('config');

const setups = {
  // (a) nothing listens: the cost of creating and dispatching the events.
  none: async () => {},
  // (b) the least a listener can do.
  bare: async () => {
    let last = 0;
    for (const type of EVENTS) window.addEventListener(type, () => { last = Date.now(); }, { passive: true });
    globalThis.benchLast = () => last;
  },
  // (c) seed 001: clearTimeout + setTimeout on every event.
  seed001: async () => startSeed001(EVENTS),
  // (d) react-idle-timer's hook in a React page.
  reactIdleTimer: async () => (await import('/out/react-idle-page.js')).mount(),
  // (e) this SDK with a live cookie session (its keepalive is the static server's 204).
  sdk: async () => {
    const { default: init, SessionKeeper } = await import('/pkg/keep_session_alive.js');
    await init();
    const keeper = new SessionKeeper({ keepaliveUrl: '/api/keepalive', logoutUrl: '/api/logout', sessionTimeoutMs: 30 * 60_000 });
    keeper.setSession({});
    globalThis.keeper = keeper;
    if (!keeper.state.authenticated) throw new Error('SessionKeeper: no session after setSession({})');
  },
};

const makers = {
  pointermove: () => new PointerEvent('pointermove', { bubbles: true, cancelable: true, clientX: 10, clientY: 10, pointerType: 'mouse' }),
  keydown: () => new KeyboardEvent('keydown', { bubbles: true, cancelable: true, key: 'a', code: 'KeyA' }),
};

// A macrotask turn without setTimeout's clamping: timers the listeners set
// (re-attachment, throttles) get to run between batches, as between real events.
const turn = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });

/**
 * Dispatches `count` events of `type` on document.body in batches; returns
 * the elapsed milliseconds, turns included. One event object per batch,
 * dispatched again and again: constructing a PointerEvent costs several
 * microseconds here, which would drown the listeners' cost (a real event's
 * construction is the browser's, paid with or without listeners).
 */
globalThis.benchRound = async (type, count, batch) => {
  const make = makers[type];
  const target = document.body;
  await turn();
  const t0 = performance.now();
  for (let done = 0; done < count; done += batch) {
    const event = make();
    for (let i = 0; i < batch; i++) target.dispatchEvent(event);
    await turn();
  }
  return performance.now() - t0;
};

globalThis.benchReady = (setups[config] ?? (() => Promise.reject(new Error(`unknown config ${config}`))))().then(() => config);
