// An Express app as its users write one: express-session with a sliding
// timeout (`rolling`), Passport's local strategy, connect-ensure-login in
// front of what needs a signed-in user, and csrf-sync (the synchroniser
// token pattern: the token lives in the session, the page gets it in a meta
// tag and sends it back in X-CSRF-Token). The end-to-end tests run it as a
// child process; what they vary comes from the environment:
//
//   KSA_SESSION_MS        express-session's cookie.maxAge (a few seconds in the tests)
//   KSA_PKG_DIR           the built keep-session-alive package, served at /pkg/
//   KSA_LOGIN_PAGE        "same-origin" (default): ensureLoggedIn sends to /login;
//                         "other-origin": to the sign-in page of a second server on
//                         another port (another origin, no CORS), as with a
//                         single sign-on service
//   KSA_TEST_ENDPOINTS=1  /test/state (request counts, sessions) and /test/drop-sessions
//
// It prints `app on <url>` and `sign-in on <url>` once both listen on 127.0.0.1.
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import connectEnsureLogin from 'connect-ensure-login';
import { csrfSync } from 'csrf-sync';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sessionMs = Number(process.env.KSA_SESSION_MS ?? 30 * 60_000);
const pkgDir = resolve(process.env.KSA_PKG_DIR ?? join(here, '../../../../pkg'));
const testEndpoints = process.env.KSA_TEST_ENDPOINTS === '1';

// --- the sign-in server on another origin (a stand-in for single sign-on) ----
const signIn = express();
signIn.get('/login', (req, res) => res.type('html').send('<!doctype html><title>Single sign-on</title><h1>Sign in at the identity provider</h1>'));
const signInServer = await listen(signIn);
const loginPage = process.env.KSA_LOGIN_PAGE === 'other-origin' ? `${signInServer.base}/login` : '/login';
const { ensureLoggedIn } = connectEnsureLogin;

// --- the app -------------------------------------------------------------------
const USERS = new Map([['1', { id: '1', username: 'alice', password: 'wonderland' }]]);
passport.use(
  new LocalStrategy((username, password, done) => {
    const user = [...USERS.values()].find((u) => u.username === username && u.password === password);
    done(null, user ?? false);
  }),
);
passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser((id, done) => done(null, USERS.get(id) ?? false));

const store = new session.MemoryStore();
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  // The sign-in form posts its token in a field, the page's scripts in a header.
  getTokenFromRequest: (req) => (req.is('application/x-www-form-urlencoded') ? req.body._csrf : req.headers['x-csrf-token']),
});

const app = express();
const counts = new Map();
app.use((req, res, next) => {
  if (!req.path.startsWith('/test/')) {
    res.on('finish', () => {
      const key = `${req.method} ${req.path} ${res.statusCode}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
  }
  next();
});
app.use('/pkg', express.static(pkgDir));
app.use('/static', express.static(join(here, 'public')));
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    secret: 'e2e-only-express-session-secret',
    store,
    resave: false,
    saveUninitialized: false,
    // Sliding: every response sets the cookie again and touches the store.
    rolling: true,
    cookie: { maxAge: sessionMs, httpOnly: true, sameSite: 'lax' },
  }),
);
app.use(passport.session());

const page = (title, body, head = '') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">${head}</head><body>${body}</body></html>`;

app.get('/login', (req, res) => {
  res.type('html').send(
    page(
      'Sign in',
      `<h1>Sign in</h1><form method="post" action="/login">
        <input type="hidden" name="_csrf" value="${generateToken(req)}">
        <p><label>Username <input name="username" autocomplete="username"></label></p>
        <p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
        <button type="submit">Sign in</button></form>`,
    ),
  );
});
app.post('/login', csrfSynchronisedProtection, passport.authenticate('local', { successRedirect: '/', failureRedirect: '/login' }));

app.get('/', ensureLoggedIn(loginPage), (req, res) => {
  res.type('html').send(
    page(
      'Signed in',
      `<h1>Hello, ${req.user.username}</h1>`,
      `<meta name="csrf-token" content="${generateToken(req)}">
       <meta name="session-timeout-ms" content="${sessionMs}">
       <script type="module" src="/static/app.js"></script>`,
    ),
  );
});

// The keepalive: the session middleware has slid the session by now; without
// one, ensureLoggedIn answers 302 to the sign-in page before the CSRF check.
app.post('/api/keepalive', ensureLoggedIn(loginPage), csrfSynchronisedProtection, (req, res) => res.sendStatus(204));

app.post('/logout', csrfSynchronisedProtection, (req, res, next) => {
  req.logout((err) => (err ? next(err) : res.redirect('/login')));
});

if (testEndpoints) {
  app.get('/test/state', (req, res) => {
    store.all((err, all) => {
      if (err) return res.status(500).json({ error: String(err) });
      const sessions = Object.values(all ?? {});
      res.json({ requests: Object.fromEntries(counts), sessions: sessions.length, signedIn: sessions.filter((s) => s.passport?.user).length });
    });
  });
  // The server forgets every session, as a restart on in-memory sessions would.
  app.post('/test/drop-sessions', (req, res) => store.clear(() => res.json({ dropped: true })));
}

const appServer = await listen(app);
console.log(`sign-in on ${signInServer.base}`);
console.log(`app on ${appServer.base}`);

function listen(handler) {
  return new Promise((resolvePromise, reject) => {
    const server = handler.listen(0, '127.0.0.1', () => resolvePromise({ server, base: `http://127.0.0.1:${server.address().port}` }));
    server.on('error', reject);
  });
}
