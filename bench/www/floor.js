// The floor of issue 21: what `new SessionKeeper(...)` asks of the browser,
// in plain JavaScript, and nothing else. Any library doing this job pays at
// least this, so it is the physical limit of the SDK's constructor. The
// start-up part imports this module and constructs a Floor exactly as it
// constructs the SDK (bytes in hand: import + constructor), and counts the
// browser calls of both (startup.js, benchCensus) to show they match.
//
// What the SDK's constructor does (src/web/driver.rs `start()`, `listen()`,
// src/web/locks.rs, src/web/channel.rs, src/core Engine::new):
//   - an EventTarget for its own events;
//   - one BroadcastChannel with a `message` listener, and one postMessage
//     (the engine's "session wanted?" to the other tabs);
//   - the lifecycle listeners: online, offline, pagehide, beforeunload,
//     pageshow on window, visibilitychange and resume on document (passive,
//     bubbling);
//   - two Web Lock requests, each with an AbortController's signal so that a
//     waiting request can be withdrawn: `<channel>:leader`, and the tab's
//     lock of life `<channel>:tab:<id>`, both held for the tab's life;
//   - reads navigator.onLine, Date.now(), Math.random();
//   - one timer (its next deadline: the wait for the other tabs' answer).
// The activity listeners (src/api/options.rs DEFAULT_ACTIVITY_EVENTS, passive,
// capturing, on window) come later, from `listen()`, once a session is alive:
// the constructor does not attach them (the census shows it). With
// `{ activity: true }` the floor attaches them too, as issue 21 lists them:
// what a start with a session already alive would ask of the browser.

const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'scroll', 'touchstart', 'focus'];
const LIFECYCLE = [
  [window, ['online', 'offline', 'pagehide', 'beforeunload', 'pageshow']],
  [document, ['visibilitychange', 'resume']],
];
const SIBLING_WAIT_MS = 300;

export class Floor {
  constructor({ channelName = 'keep-session-alive', activity = false } = {}) {
    this.events = new EventTarget();
    this.tab = Math.floor(Math.random() * 2 ** 52);
    this.online = navigator.onLine;
    this.started = Date.now();
    this.listeners = [];
    const on = (target, type, capture) => {
      const f = () => { this.last = Date.now(); };
      target.addEventListener(type, f, { passive: true, capture });
      this.listeners.push([target, type, f, capture]);
    };
    this.channel = new BroadcastChannel(channelName);
    on(this.channel, 'message', false);
    for (const [target, types] of LIFECYCLE) for (const type of types) on(target, type, false);
    if (activity) for (const type of ACTIVITY_EVENTS) on(window, type, true);
    this.aborts = [];
    this.releases = [];
    for (const name of [`${channelName}:leader`, `${channelName}:tab:${this.tab}`]) {
      const abort = new AbortController();
      this.aborts.push(abort);
      navigator.locks
        .request(name, { signal: abort.signal }, () => new Promise((release) => this.releases.push(release)))
        .catch(() => {});
    }
    this.channel.postMessage(`1 ${this.tab} Q`);
    this.timer = setTimeout(() => { this.restored = true; }, SIBLING_WAIT_MS);
  }

  dispose() {
    clearTimeout(this.timer);
    for (const [target, type, f, capture] of this.listeners) target.removeEventListener(type, f, capture);
    for (const release of this.releases) release();
    for (const abort of this.aborts) abort.abort();
    this.channel.close();
  }
}
