//! The session engine: a sans-IO state machine that decides everything the SDK
//! does, and nothing else.
//!
//! It reads no clock, touches no browser API and has no randomness of its own.
//! The driver feeds it [`Input`]s with the current [`Time`] through
//! [`Engine::handle`], calls [`Engine::handle_timeout`] when the deadline from
//! [`Engine::poll_timeout`] is reached, and after every call drains
//! [`Engine::poll_command`] until it returns `None`, executing each [`Command`].
//!
//! Time only moves forward: a `now` earlier than one already seen is taken as the
//! latest one seen. Calling `handle_timeout` early, late or twice is harmless:
//! every decision is re-derived from the state and the current time, which is
//! also how a tab that slept through its deadlines catches up.

mod activity;
mod backoff;
mod claims;
mod config;
pub(crate) mod digits;
mod heartbeat;
mod holds;
mod io;
mod message;
mod refresh;
mod time;
mod timeouts;

pub use config::{Config, ConfigError};
pub use io::{Cause, Command, Event, Failure, HeartbeatResult, Input, Operation, RefreshResult, Refresher, Snapshot};
pub use message::{Envelope, LockName, Message, Reason, SharedToken};
pub use refresh::MIN_TOKEN_LIFETIME_MS;
pub use time::Time;

use activity::Activity;
use backoff::Rng;
use claims::Claims;
use config::Timing;
use heartbeat::Heartbeat;
use holds::Holds;
use refresh::{Refresh, Token};

#[derive(Clone, Debug)]
struct Session {
    started_at: Time,
    token: Option<Token>,
    idle_warned: bool,
    absolute_warned: bool,
    idle: bool,
}

#[derive(Clone, Debug)]
enum Auth {
    Out,
    /// A fresh tab asks its siblings until `Some(deadline)`, then (`None`)
    /// tries the refresh cookie.
    Restoring(Option<Time>),
    In(Session),
}

/// One tab's session engine. See the module documentation for the calling rules.
///
/// # Example
/// ```
/// # fn main() -> Result<(), keep_session_alive::core::ConfigError> {
/// use keep_session_alive::core::{Command, Config, Engine, Input, Time};
/// let config = Config { idle_timeout_ms: Some(60_000), ..Config::default() };
/// let mut engine = Engine::new(&config, 1, Time(0))?;
/// engine.handle(Time(0), Input::SessionStarted { token: None, sent_at: Time(0) });
/// let mut commands = Vec::new();
/// while let Some(c) = engine.poll_command() {
///     commands.push(c);
/// }
/// assert!(commands.contains(&Command::Listen(true)));
/// assert!(engine.poll_timeout().is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Engine {
    t: Timing,
    tab: u64,
    now: Time,
    rng: Rng,
    auth: Auth,
    online: bool,
    leader: bool,
    activity: Activity,
    heartbeat: Heartbeat,
    refresh: Refresh,
    /// Counts session starts and ends: a reply to a request sent in an earlier
    /// session (a restore's 401 arriving after a fresh login) must not touch this one.
    epoch: u32,
    ignored_messages: u32,
    holds: Holds,
    /// Without Web Locks: the leader and refresh locks over messages.
    claims: Option<Claims>,
    out: io::Outbox,
}

impl Engine {
    /// A new tab's engine. It starts by asking sibling tabs for the session.
    pub fn new(config: &Config, tab: u64, now: Time) -> Result<Engine, ConfigError> {
        let t = config.timing()?;
        let mut engine = Engine {
            t,
            tab,
            now,
            rng: Rng::new(config.seed, tab),
            auth: Auth::Restoring(Some(now.after(t.sibling_wait_ms))),
            online: true,
            leader: false,
            activity: Activity::new(now, t.idle_ms),
            heartbeat: Heartbeat::default(),
            refresh: Refresh::new(),
            epoch: 0,
            ignored_messages: 0,
            holds: Holds::default(),
            claims: None,
            out: io::Outbox::default(),
        };
        engine.broadcast(Message::SessionWanted);
        Ok(engine)
    }

    /// Feeds one input at `now`; drain [`Engine::poll_command`] afterwards.
    pub fn handle(&mut self, now: Time, input: Input) {
        let now = self.tick(now);
        match input {
            Input::Activity if self.wants_activity() => self.activity.local(now),
            Input::Activity => {}
            Input::StaySignedIn => {
                if let Auth::In(_) = self.auth {
                    self.activity.seen(now);
                    self.broadcast(Message::StaySignedIn { at: now });
                }
            }
            Input::Logout => self.end(Reason::User, false),
            Input::SessionStarted { token: None, .. } => self.start_session(now, None, true),
            // Counted from when the login left, as a refreshed token's is: the
            // server issued it after that, however long the reply took.
            Input::SessionStarted { token: Some((value, ms)), sent_at } if ms >= MIN_TOKEN_LIFETIME_MS => {
                let sent_at = sent_at.min(now);
                self.start_session(now, Some(Token::new(value, sent_at.after(ms), sent_at)), true);
                self.refresh.affinity = Some(self.tab);
            }
            // The facade refuses such a token before it gets here.
            Input::SessionStarted { .. } => {}
            Input::TokenWanted => self.token_wanted(now),
            Input::TokenRejected(value) => {
                if let Some(t) = self.token_mut().filter(|t| t.value == value) {
                    t.rejected = true;
                }
            }
            Input::ServerTouched(sent_at) => self.activity.touched(sent_at.min(now)),
            Input::HeartbeatDone(result) => self.heartbeat_done(now, result),
            Input::RefreshLockAcquired => self.refresh_lock_acquired(now),
            Input::RefreshDone(result) => self.refresh_done(now, result),
            Input::Message(text) => match Envelope::decode(&text) {
                Some(e) if e.from != self.tab => self.message(now, e.from, e.message),
                _ => self.ignored_messages = self.ignored_messages.saturating_add(1),
            },
            // Without Web Locks the tabs elect their leader themselves.
            Input::Leadership(leader) if self.claims.is_none() => self.set_leader(leader),
            Input::Leadership(_) => {}
            Input::Online(online) => {
                self.online = online;
                if online {
                    // Back online: try at once instead of waiting out a backoff
                    // that was caused by being offline.
                    self.heartbeat.backoff.retry_now();
                    self.refresh.backoff.retry_now();
                }
            }
            Input::Resumed => self.resumed(now),
            Input::Restored => {
                self.resumed(now);
                self.verify_token_again();
            }
            Input::Hold => self.holds.hold(),
            Input::Release => self.holds.release(now),
            Input::PageHide => {
                self.holds.page_hide();
                self.stop_leading();
            }
            // As if it had said it holds nothing; if it refreshed, the leader does now.
            Input::TabGone(tab) => {
                self.holds.heard(now, tab, 0, 0);
                if self.refresh.affinity == Some(tab) {
                    self.refresh.affinity = None;
                }
            }
            Input::LocksUnavailable => self.locks_unavailable(),
        }
        self.evaluate(now);
    }

    /// Re-evaluates every deadline at `now` (early, late or repeated calls are fine).
    pub fn handle_timeout(&mut self, now: Time) {
        let now = self.tick(now);
        self.evaluate(now);
    }

    /// The next command for the driver, in order; `None` when drained.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// When [`Engine::handle_timeout`] must be called next; `None` when nothing is scheduled.
    pub fn poll_timeout(&self) -> Option<Time> {
        [
            self.restore_due(),
            self.absolute_due(),
            self.idle_due(),
            self.idle_warning_due(),
            self.absolute_warning_due(),
            self.refresh_due(),
            self.refresh_lock_overdue(),
            self.ask_due(),
            self.heartbeat_due(),
            self.leader_overdue(),
            self.listen_due(),
            self.activity_broadcast_due(),
            self.holds_announcement_due(),
            self.holds.next_expiry(),
            self.claims.as_ref().and_then(Claims::due),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// This tab's id, as carried in its messages.
    pub fn tab(&self) -> u64 {
        self.tab
    }

    /// Messages from other tabs that were malformed, of another version, of an
    /// unknown kind, or our own echo, and were ignored.
    pub fn ignored_messages(&self) -> u32 {
        self.ignored_messages
    }

    /// The state for the app, as of `now`.
    pub fn snapshot(&self, now: Time) -> Snapshot {
        let now = now.max(self.now);
        let mut s = Snapshot {
            leader: self.leader,
            online: self.online,
            last_heartbeat: self.heartbeat.last_ok(),
            last_refresh: self.refresh.last(),
            holds: self.holds.count(now),
            refresher: self.refresher(),
            ..Snapshot::default()
        };
        match &self.auth {
            Auth::Out => {}
            Auth::Restoring(_) => s.restoring = true,
            Auth::In(session) => {
                s.authenticated = true;
                s.idle = session.idle;
                s.token_expires_at = session.token.as_ref().map(|t| t.expires_at);
                s.last_activity = Some(self.activity.last());
                s.idle_at = self.idle_due();
                s.absolute_at = self.absolute_due();
                let warned_idle = s.idle_at.filter(|_| session.idle_warned);
                let warned_absolute = s.absolute_at.filter(|_| session.absolute_warned);
                s.warning_remaining_ms = warned_idle.into_iter().chain(warned_absolute).min().map(|d| d.since(now));
            }
        }
        s
    }

    // ---- inputs -------------------------------------------------------------

    fn tick(&mut self, now: Time) -> Time {
        self.now = self.now.max(now);
        self.now
    }

    fn message(&mut self, now: Time, from: u64, message: Message) {
        match message {
            Message::Login { started_at, token } => {
                let token = token.map(|t| Token::new(t.value, t.expires_at, now));
                let with_token = token.is_some();
                self.start_session(started_at.min(now), token, false);
                // Not watched yet: see follow_refresher.
                if with_token {
                    self.refresh.affinity = Some(from);
                }
            }
            Message::Token { started_at, token } => {
                self.heard_session(now, started_at, None, Some(token));
                if matches!(self.auth, Auth::In(_)) {
                    self.follow_refresher(from);
                }
            }
            // An answer to this tab's ask brings the token it asked to have
            // renewed (perhaps the one a 401 rejected): only the refreshed
            // one that follows is taken.
            Message::Session { started_at, active_at, token } => {
                let token = if self.refresh.asking() { None } else { token };
                self.heard_session(now, started_at, active_at, token)
            }
            // Not a logout that happened before this session started.
            Message::Logout { reason, at } if !self.started_after(at) => self.end(reason, true),
            Message::Logout { .. } => {}
            Message::Activity { at, touched } => {
                // Another tab's clock is ours, but its message may be stale or
                // forged: never let it push our view into the future.
                self.activity.heard(at.min(now), touched.min(now));
            }
            Message::StaySignedIn { at } => self.activity.seen(at.min(now)),
            // Leases belong to a session; the holder announces again at the next login.
            Message::Hold { count } if matches!(self.auth, Auth::In(_)) => {
                self.holds.heard(now, from, count, self.activity.broadcast_interval_ms());
                if count > 0 && self.claims.is_none() {
                    self.out.push_back(Command::WatchTab(from));
                }
            }
            Message::Hold { .. } => {}
            Message::Claim { lock, held } => self.heard_claim(now, from, lock, held),
            Message::Unclaim { lock } => self.heard_unclaim(from, lock),
            Message::SessionWanted => {
                self.answer_session();
            }
            Message::RefreshWanted => self.refresh_asked(),
        }
    }

    /// Tells the other tabs the session, its token if any, and when the user
    /// was last present; false when this tab has none.
    fn answer_session(&mut self) -> bool {
        let now = self.now;
        let Auth::In(session) = &self.auth else { return false };
        let token = session.token.as_ref().filter(|t| !t.rejected && t.expires_at > now).map(Token::shared);
        let started_at = session.started_at;
        let active_at = Some(self.present_at());
        self.broadcast(Message::Session { started_at, active_at, token });
        true
    }

    // ---- state changes ------------------------------------------------------

    fn start_session(&mut self, started_at: Time, token: Option<Token>, local: bool) {
        let now = self.now;
        // A session confirmed again (a cookie app calling setSession({}) on every
        // page load) keeps its original start: the absolute timeout must not
        // restart with each reload.
        let started_at = match &self.auth {
            Auth::In(s) => s.started_at.min(started_at),
            _ => started_at,
        };
        let expires_at = token.as_ref().map(|t| t.expires_at);
        if local {
            let token = token.as_ref().map(Token::shared);
            self.broadcast(Message::Login { started_at, token });
        }
        self.refresh.new_session();
        if token.is_some() {
            self.refresh.received(now);
        }
        self.auth = Auth::In(Session { started_at, token, idle_warned: false, absolute_warned: false, idle: false });
        self.epoch = self.epoch.wrapping_add(1);
        // A login is the user at work, and a request that touched the server.
        self.activity.login(now);
        self.heartbeat.backoff.reset();
        self.refresh.backoff.reset();
        // Holds taken before the login (or heard of by tabs that just joined)
        // are announced to this session's tabs.
        self.holds.announce_again();
        self.emit(Event::Login { expires_at });
        self.resolve_waiters();
    }

    /// Takes a token from a refresh or a sibling if it outlives the one held.
    fn adopt_token(&mut self, now: Time, started_at: Time, token: Token) -> bool {
        let expires_at = token.expires_at;
        match &mut self.auth {
            Auth::Restoring(_) => {
                self.start_session(started_at, Some(token), false);
                true
            }
            Auth::In(session) => {
                let current = session.token.as_ref().filter(|t| !t.rejected).map(|t| t.expires_at);
                if current.is_some_and(|c| c >= expires_at) || expires_at <= now {
                    return false;
                }
                session.token = Some(token);
                self.refresh.received(now);
                self.emit(Event::Refresh { expires_at });
                true
            }
            Auth::Out => false,
        }
    }

    /// Ends the session for `reason`; `remote` when another tab ended it and
    /// has already told the server and the others.
    fn end(&mut self, reason: Reason, remote: bool) {
        let was_in = matches!(self.auth, Auth::In(_));
        // The user's logout() is honoured even while a new tab is still
        // restoring or thinks it is signed out: the server and the other tabs
        // may still hold a session.
        if !was_in && (remote || reason != Reason::User) {
            if let Auth::Restoring(_) = self.auth {
                self.auth = Auth::Out;
                self.resolve_waiters();
            }
            return;
        }
        let at = self.ended_at(reason);
        self.auth = Auth::Out;
        self.epoch = self.epoch.wrapping_add(1);
        self.heartbeat.backoff.reset();
        self.refresh.backoff.reset();
        self.refresh.new_session();
        self.activity.forget_unsent();
        self.holds.forget_peers();
        let timed_out = matches!(reason, Reason::Idle | Reason::Absolute);
        if !remote {
            match reason {
                Reason::Idle => self.emit(Event::Timeout(Cause::Idle)),
                Reason::Absolute => self.emit(Event::Timeout(Cause::Absolute)),
                Reason::User | Reason::Revoked => {}
            }
            self.broadcast(Message::Logout { reason, at: Some(at) });
        }
        // One logout request per session. The tab where a logout begins tells
        // the server; but a timeout's deadline comes to every tab at once, to
        // each by its own timer or by a sibling's message first, so then the
        // leader tells it, whichever way it heard. (A leader gone at that very
        // moment leaves the server session to its own timeout: the user was
        // idle, so no heartbeat keeps it.)
        if self.t.logout_call && (if timed_out { self.leader } else { !remote }) {
            self.out.push_back(Command::CallLogout);
        }
        if was_in {
            self.emit(Event::Logout { reason, remote });
        }
        self.resolve_waiters();
    }

    // ---- the evaluation -------------------------------------------------------

    /// Acts on every deadline that has passed, in order of precedence: the
    /// session's end first, then the token (so a tab waking with an expired token
    /// refreshes before anything else uses it), then the heartbeat.
    fn evaluate(&mut self, now: Time) {
        if self.restore_due().is_some_and(|d| d <= now) {
            if self.t.refresh {
                // No sibling answered: the refresh cookie decides (see refresh_due).
                self.auth = Auth::Restoring(None);
            } else {
                self.auth = Auth::Out;
                self.resolve_waiters();
            }
        }
        self.holds.expire(now);
        if self.absolute_due().is_some_and(|d| d <= now) {
            self.end(Reason::Absolute, false);
        }
        if self.idle_due().is_some_and(|d| d <= now) {
            if self.t.logout_on_idle {
                self.end(Reason::Idle, false);
            } else if let Some(s) = self.session_mut() {
                s.idle = true;
                s.idle_warned = false;
                self.emit(Event::Idle);
                self.resolve_waiters();
            }
        }
        self.evaluate_presence(now);
        self.evaluate_refresh(now);
        self.evaluate_heartbeat(now);
        if self.activity_broadcast_due().is_some_and(|d| d <= now) {
            let (at, touched) = self.activity.broadcast(now);
            self.broadcast(Message::Activity { at, touched });
        }
        if self.holds_announcement_due().is_some_and(|d| d <= now) {
            let count = self.holds.announce(now);
            self.broadcast(Message::Hold { count });
        }
        self.evaluate_claims(now);
        let listen = self.activity.should_listen(now, self.wants_activity());
        if self.activity.set_listening(listen) {
            self.out.push_back(Command::Listen(listen));
        }
        // Answered once the step is done, with the token as it then stands: a
        // step that brings a token can also find the user gone idle.
        if self.refresh.take_answer() {
            let token = self.access_token(now).map(String::from);
            self.out.push_back(Command::ResolveTokenWaiters(token));
        }
    }

    // ---- deadlines: each is when its action is due, derived from the state ----

    fn restore_due(&self) -> Option<Time> {
        match self.auth {
            Auth::Restoring(until) => until,
            _ => None,
        }
    }

    /// Activity matters only while a session is alive and no idle warning is
    /// up (then only "stay signed in" counts: the pointer moving towards the
    /// dialog's button must not dismiss it).
    fn wants_activity(&self) -> bool {
        matches!(self.auth, Auth::In(Session { idle_warned: false, .. }))
    }

    fn listen_due(&self) -> Option<Time> {
        self.activity.listen_due().filter(|_| self.wants_activity())
    }

    fn activity_broadcast_due(&self) -> Option<Time> {
        self.session()?;
        self.activity.broadcast_due(self.now)
    }

    fn holds_announcement_due(&self) -> Option<Time> {
        self.session()?;
        self.holds.announcement_due(self.now, self.activity.broadcast_interval_ms())
    }

    // ---- small helpers -------------------------------------------------------

    fn session(&self) -> Option<&Session> {
        match &self.auth {
            Auth::In(s) => Some(s),
            _ => None,
        }
    }

    fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.auth {
            Auth::In(s) => Some(s),
            _ => None,
        }
    }

    fn started_at(&self) -> Option<Time> {
        self.session().map(|s| s.started_at)
    }

    fn token_mut(&mut self) -> Option<&mut Token> {
        self.session_mut()?.token.as_mut()
    }

    fn resolve_waiters(&mut self) {
        self.refresh.answer_waiters();
    }

    /// The page runs again after a freeze, a sleep or the back/forward cache.
    fn resumed(&mut self, now: Time) {
        self.holds.resume();
        self.claims_resumed(now);
        // Time slept is no proof that a lock holder hung.
        self.refresh.taking_over(now);
        self.heartbeat_resumed(now);
    }

    fn set_leader(&mut self, leader: bool) {
        if leader != self.leader {
            self.leader = leader;
            self.emit(Event::Leader(leader));
        }
    }

    fn emit(&mut self, e: Event) {
        self.out.push_back(Command::Emit(e));
    }

    fn broadcast(&mut self, message: Message) {
        self.out.push_back(Command::Broadcast(Envelope { from: self.tab, message }));
    }
}

// Native: the virtual-clock harness and proptest need no browser.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
