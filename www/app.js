// Demo page for keep-session-alive. Plain DOM, no framework; every piece of
// text that comes from the network or the library is inserted with textContent.
import init, { SessionKeeper } from '/pkg/keep_session_alive.js';

const IDLE_TIMEOUT_MS = 90_000;
const COMMON = {
  loginUrl: '/api/auth/login',
  keepaliveUrl: '/api/keepalive',
  logoutUrl: '/api/auth/logout',
  sessionTimeoutMs: 120_000,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  warningMs: 30_000,
};
// One configuration per kind of session: a keeper with a refreshUrl treats a
// session without a token as one that needs a token, which a cookie-only
// session can never get. Each mode has its own channel so tabs in different
// modes do not mix.
const OPTIONS = {
  token: { ...COMMON, refreshUrl: '/api/auth/refresh', refreshLeadMs: 10_000, channelName: 'ksa-demo-token' },
  cookie: { ...COMMON, channelName: 'ksa-demo-cookie' },
};
// Only the chosen mode is remembered (never anything about the session), so
// that a reload or a new tab joins the same kind of session.
const MODE_KEY = 'ksa-demo-mode';
const EVENT_TYPES = ['login', 'refresh', 'heartbeat', 'activity', 'idle', 'warning', 'timeout', 'logout', 'leader', 'error'];
const MAX_TIMELINE = 200;

const $ = (id) => document.getElementById(id);

/** Creates an element with a class and text (never HTML). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

/** 83_400 ms -> "1:23"; negative -> "0:00". */
function countdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function clock(t) {
  const d = new Date(t);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "14:02:07 · 12 s ago" */
function when(t, now) {
  if (t == null) return '—';
  const ago = Math.max(0, Math.round((now - t) / 1000));
  return `${clock(t).slice(0, 8)} · ${ago < 60 ? `${ago} s` : `${Math.floor(ago / 60)} min ${ago % 60} s`} ago`;
}

// ---- timeline --------------------------------------------------------------

function describe(type, detail) {
  switch (type) {
    case 'login': return detail.expiresAt == null ? 'cookie session started' : `token session, expires ${clock(detail.expiresAt).slice(0, 8)}`;
    case 'refresh': return `new access token, expires ${clock(detail.expiresAt).slice(0, 8)}`;
    case 'heartbeat': return 'server session touched';
    case 'activity': return 'user is back';
    case 'idle': return 'no activity for the idle timeout';
    case 'warning': return `${detail.cause} timeout in ${countdown(detail.remainingMs)}`;
    case 'timeout': return `${detail.cause} timeout`;
    case 'logout': return `reason: ${detail.reason}${detail.remote ? ' (in another tab)' : ''}`;
    case 'leader': return detail.leader ? 'this tab is now the leader' : 'this tab is no longer the leader';
    case 'error': return `${detail.operation} failed (${detail.kind}): ${detail.message}; retrying`;
    default: return typeof detail === 'string' ? detail : JSON.stringify(detail);
  }
}

function addTimeline(kind, text) {
  const list = $('timeline');
  const item = el('li', `ev ev-${kind}`);
  item.append(el('time', 'mono ev-time', clock(Date.now())), el('span', 'ev-kind', kind), el('span', 'ev-text', text));
  list.prepend(item);
  while (list.childElementCount > MAX_TIMELINE) list.lastElementChild.remove();
  $('timeline-empty').hidden = true;
}

// ---- warning dialog --------------------------------------------------------

const dialog = $('warning');
let warningDeadline = null;

function openWarning(detail) {
  warningDeadline = Date.now() + detail.remainingMs;
  setText('warning-text', detail.cause === 'absolute'
    ? 'Your session reaches its maximum length and ends in'
    : 'You will be signed out for inactivity in');
  setText('warning-left', countdown(detail.remainingMs));
  $('warning-stay').hidden = detail.cause === 'absolute'; // staying does not extend an absolute timeout
  if (!dialog.open) dialog.showModal();
}

function closeWarning() {
  warningDeadline = null;
  if (dialog.open) dialog.close();
}

// ---- main ------------------------------------------------------------------

let keeper;
let mode = localStorage.getItem(MODE_KEY) === 'cookie' ? 'cookie' : 'token';
for (const radio of document.querySelectorAll('input[name="mode"]')) radio.checked = radio.value === mode;
try {
  await init();
  keeper = startKeeper(mode);
} catch (err) {
  const banner = $('fatal');
  banner.textContent = `Could not start keep-session-alive: ${err instanceof Error ? err.message : String(err)}. Build the package with scripts/build-pkg and serve it at /pkg/.`;
  banner.hidden = false;
  setText('status-text', 'Unavailable');
  throw err;
}
let sessionKind = null; // 'token' | 'cookie' | null (unknown, e.g. restored)

function startKeeper(kind) {
  const k = new SessionKeeper(OPTIONS[kind]);
  window.keeper = k; // for poking at it from the devtools console
  for (const type of EVENT_TYPES) k.addEventListener(type, (ev) => onEvent(type, ev));
  return k;
}

/** Switching modes while signed out swaps the keeper for one configured for that mode. */
function switchMode(kind) {
  if (kind === mode || keeper.state.authenticated) return;
  mode = kind;
  localStorage.setItem(MODE_KEY, kind);
  keeper.dispose();
  keeper = startKeeper(kind);
  addTimeline('app', `switched to ${kind === 'token' ? 'access-token' : 'cookie-only'} mode`);
  render();
}

function onEvent(type, ev) {
  addTimeline(type, describe(type, ev.detail ?? {}));
  if (type === 'warning') openWarning(ev.detail);
  if (type === 'activity' || type === 'logout' || type === 'login') closeWarning();
  if (type === 'login') sessionKind = ev.detail.expiresAt == null ? 'cookie' : 'token';
  if (type === 'logout') {
    sessionKind = null;
    setText('profile-result', 'Signed out.');
  }
  render();
}

function selectedMode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function renderModeHint() {
  setText('mode-hint', selectedMode() === 'token'
    ? 'Short-lived access token in memory, refreshed silently through an HttpOnly cookie; a heartbeat keeps the server session alive.'
    : 'Server-side session cookie only: a heartbeat, sent only while you are active, slides the server timeout.');
}
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => {
    renderModeHint();
    switchMode(selectedMode());
  });
}
renderModeHint();

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = $('login-btn');
  const chosen = selectedMode();
  switchMode(chosen);
  button.disabled = true;
  setText('login-error', '');
  try {
    await keeper.login({ email: $('email').value, password: $('password').value, mode: chosen });
    sessionKind = chosen;
  } catch (err) {
    setText('login-error', `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
    addTimeline('app', 'sign-in failed');
  } finally {
    button.disabled = false;
    render();
  }
});

$('profile-btn').addEventListener('click', async () => {
  const out = $('profile-result');
  out.textContent = 'GET /api/profile …';
  try {
    const res = await keeper.fetch('/api/profile');
    const body = await res.text();
    let pretty = body;
    try { pretty = JSON.stringify(JSON.parse(body), null, 2); } catch { /* not JSON: show as is */ }
    out.textContent = `HTTP ${res.status}\n${pretty}`;
    addTimeline('app', `GET /api/profile → ${res.status}`);
  } catch (err) {
    out.textContent = `Request failed: ${err instanceof Error ? err.message : String(err)}`;
    addTimeline('app', 'GET /api/profile failed');
  }
});

async function logout() {
  closeWarning();
  try {
    await keeper.logout();
  } catch (err) {
    addTimeline('app', `logout: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function staySignedIn() {
  keeper.staySignedIn();
  closeWarning();
  addTimeline('app', 'stay signed in');
}

$('logout-btn').addEventListener('click', logout);
$('stay-btn').addEventListener('click', staySignedIn);
$('warning-stay').addEventListener('click', staySignedIn);
$('warning-logout').addEventListener('click', logout);
// Esc = "I am here" for an idle warning; an absolute one cannot be extended, so Esc only dismisses it.
dialog.addEventListener('cancel', (ev) => {
  ev.preventDefault();
  if ($('warning-stay').hidden) closeWarning(); else staySignedIn();
});
$('newtab-btn').addEventListener('click', () => window.open(location.href, '_blank'));

// A video playing is a long task without input: while the hold lasts, every
// tab counts as present (no idle warning), and heartbeats and refreshes go on.
let videoHold = null;
$('hold-btn').addEventListener('click', () => {
  if (videoHold) {
    videoHold.release();
    videoHold = null;
  } else {
    videoHold = keeper.holdActive('video');
  }
  $('hold-btn').setAttribute('aria-pressed', String(videoHold !== null));
  $('hold-btn').textContent = videoHold ? '⏸ Video playing: release the hold' : '▶ Hold while the video plays';
  addTimeline('hold', videoHold ? 'hold taken: video playing' : 'hold released: idle counts from now');
});
$('clear-btn').addEventListener('click', () => {
  $('timeline').replaceChildren();
  $('timeline-empty').hidden = false;
});

// ---- live state ------------------------------------------------------------

let tokenLifetime = null; // ms between when we first saw this expiry and the expiry
let seenExpiry = null;

function setMeter(textId, barId, remaining, total, emptyText = '—') {
  const bar = $(barId);
  if (remaining == null) {
    setText(textId, emptyText);
    bar.style.width = '0%';
    return;
  }
  setText(textId, countdown(remaining));
  const fraction = total ? Math.min(1, Math.max(0, remaining / total)) : 0;
  bar.style.width = `${(fraction * 100).toFixed(1)}%`;
  bar.classList.toggle('bar-low', fraction < 0.25);
}

function render() {
  const s = keeper.state;
  const now = Date.now();

  const pill = $('status-pill');
  let status = 'Signed out';
  let cls = 'pill-out';
  if (s.restoring) { status = 'Restoring…'; cls = 'pill-wait'; }
  else if (s.authenticated && s.idle) { status = 'Idle'; cls = 'pill-wait'; }
  else if (s.authenticated) { status = 'Signed in'; cls = 'pill-in'; }
  setText('status-text', status);
  pill.className = `pill ${cls}`;

  const leaderPill = $('leader-pill');
  setText('leader-text', s.leader ? 'Leader tab' : 'Follower tab');
  leaderPill.className = `pill ${s.leader ? 'pill-leader' : 'pill-muted'}`;

  $('login-form').hidden = s.authenticated || s.restoring;
  $('signed-in').hidden = !s.authenticated;
  setText('session-kind', s.tokenExpiresAt != null ? 'token' : sessionKind ?? 'cookie');

  if (s.tokenExpiresAt !== seenExpiry) {
    seenExpiry = s.tokenExpiresAt;
    tokenLifetime = s.tokenExpiresAt == null ? null : Math.max(1, s.tokenExpiresAt - now);
  }
  setMeter('token-left', 'token-bar', s.tokenExpiresAt == null ? null : s.tokenExpiresAt - now, tokenLifetime,
    s.authenticated ? 'no token' : '—');
  setMeter('idle-left', 'idle-bar', s.authenticated && s.idleAt != null ? s.idleAt - now : null, IDLE_TIMEOUT_MS);

  setText('last-heartbeat', when(s.lastHeartbeat, now));
  setText('last-refresh', when(s.lastRefresh, now));
  setText('last-activity', when(s.lastActivity, now));
  setText('absolute-left', s.absoluteAt == null ? 'none' : countdown(s.absoluteAt - now));
  setText('online', s.online ? 'online' : 'offline');
  setText('tab-id', s.tabId);
  setText('holds', String(s.holds));

  if (dialog.open) {
    const left = s.warningRemainingMs ?? (warningDeadline == null ? 0 : warningDeadline - now);
    setText('warning-left', countdown(left));
    $('warning-left').classList.toggle('urgent', left < 10_000);
  }
  document.title = s.authenticated ? `● keep-session-alive demo` : 'keep-session-alive demo';
}

render();
setInterval(render, 250);
