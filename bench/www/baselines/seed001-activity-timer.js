// Seed 001's activity-driven keep-alive, as the article writes it: every
// activity event clears the keep-alive timer and sets it again. The only
// change: the event list is a parameter, so the bench can feed it the events
// it dispatches (the article listens to mousemove, keydown, scroll, touchstart).
const KEEP_ALIVE_INTERVAL_MS = 5 * 60 * 1000;
const INACTIVITY_THRESHOLD_MS = 10 * 60 * 1000;

export function startSeed001(events = ['mousemove', 'keydown', 'scroll', 'touchstart'], keepAliveUrl = '/api/keepalive') {
  let lastActivity = Date.now();
  let keepAliveTimer = null;
  function sendKeepAlive() {
    fetch(keepAliveUrl, { method: 'POST', credentials: 'include', headers: { 'X-Requested-With': 'XMLHttpRequest' } }).catch(() => {});
  }
  function resetTimer() {
    lastActivity = Date.now();
    if (keepAliveTimer) clearTimeout(keepAliveTimer);
    keepAliveTimer = setTimeout(() => {
      if (Date.now() - lastActivity < INACTIVITY_THRESHOLD_MS) {
        sendKeepAlive();
        resetTimer();
      } else {
        clearTimeout(keepAliveTimer);
        keepAliveTimer = null;
      }
    }, KEEP_ALIVE_INTERVAL_MS);
  }
  events.forEach((evt) => window.addEventListener(evt, resetTimer, { passive: true }));
  resetTimer();
}
