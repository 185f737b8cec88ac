// Seed 000's browser heartbeat, as the article writes it: a POST to the
// keepalive endpoint every 5 minutes from every open tab, whatever the user
// does. Two changes so the reference server accepts it: its URL, and the
// X-Requested-With header that server requires (its CSRF guard).
const KEEPALIVE_INTERVAL_MS = 5 * 60 * 1000; // 5 minutes

export function startSeed000(keepaliveUrl = '/api/keepalive') {
  const keepaliveTimer = setInterval(async () => {
    try {
      await fetch(keepaliveUrl, { method: 'POST', credentials: 'include', headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    } catch (err) {
      console.warn('Keepalive failed', err);
    }
  }, KEEPALIVE_INTERVAL_MS);
  window.addEventListener('beforeunload', () => clearInterval(keepaliveTimer));
  return () => clearInterval(keepaliveTimer);
}
