// The one state store behind every framework entry (react.js, angular.js,
// vue.js): a snapshot of `keeper.state` that stays the same object until a
// field changes, re-read on each of the keeper's events and on a poll.
// Internal to the package (not in `exports`): each entry adapts it to its
// framework's reactivity.

const EVENTS = ['login', 'logout', 'refresh', 'heartbeat', 'activity', 'warning', 'idle', 'timeout', 'leader', 'error'];
export const DEFAULT_POLL_MS = 1000;

/**
 * The state of a keeper where there is no browser (server.js), which is
 * also the state every browser keeper starts in: what a server render shows,
 * and what the first render in the browser must show to hydrate it.
 */
export const SERVER_STATE = Object.freeze({
  authenticated: false,
  restoring: true,
  idle: false,
  leader: false,
  online: true,
  tabId: '',
  tokenExpiresAt: null,
  lastActivity: null,
  lastHeartbeat: null,
  lastRefresh: null,
  warningRemainingMs: null,
  idleAt: null,
  absoluteAt: null,
  ignoredMessages: 0,
  holds: 0,
  refresher: 'none',
});

// `warningRemainingMs` counts down: it differs on every read, so it must not
// decide whether the state changed (a framework would re-render forever).
// Only whether a warning is up counts; the number in a snapshot is the one
// read when the snapshot was made.
function sameState(a, b) {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  for (const k of keys) {
    if (k === 'warningRemainingMs') {
      if ((a[k] === null) !== (b[k] === null)) return false;
    } else if (!Object.is(a[k], b[k])) {
      return false;
    }
  }
  return true;
}

// One store per keeper and poll interval, shared by every reader.
const stores = new WeakMap();

/**
 * The store of `keeper` polled every `pollMs` (0 = events only):
 * `getSnapshot()` returns the current snapshot (the previous object when
 * nothing but the countdown changed); `subscribe(listener)` calls `listener`
 * whenever the state may have changed and returns the unsubscribe function.
 * The keeper is listened to and polled only while someone is subscribed.
 */
export function sessionStore(keeper, pollMs = DEFAULT_POLL_MS) {
  let byPoll = stores.get(keeper);
  if (!byPoll) stores.set(keeper, (byPoll = new Map()));
  let store = byPoll.get(pollMs);
  if (store) return store;

  const listeners = new Set();
  let snapshot = null;
  let detach = null;
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  store = {
    getSnapshot() {
      const next = keeper.state;
      if (!sameState(snapshot, next)) snapshot = next;
      return snapshot;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!detach) {
        // Events say when something happened; the poll catches what has no
        // event of its own (activity in another tab moving idleAt, online).
        for (const type of EVENTS) keeper.addEventListener(type, notify);
        const timer = pollMs > 0 ? setInterval(notify, pollMs) : null;
        detach = () => {
          for (const type of EVENTS) keeper.removeEventListener(type, notify);
          if (timer !== null) clearInterval(timer);
          detach = null;
        };
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && detach) detach();
      };
    },
  };
  byPoll.set(pollMs, store);
  return store;
}
