//! The access token and how it is renewed: the token itself, the one refresh
//! flight of this tab (waiting for the cross-tab lock, then sending), its
//! retries, and whether someone awaits a token.

use alloc::string::String;

use super::backoff::Backoff;
use super::io::{Command, Event, Failure, Operation, RefreshResult, Refresher};
use super::message::{LockName, Message, Reason, SharedToken};
use super::time::Time;
use super::{Auth, Engine, Session};

/// The shortest token lifetime accepted, from a login or a refresh: shorter
/// ones would be refreshed in a tight loop.
pub const MIN_TOKEN_LIFETIME_MS: u64 = 1_000;

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) value: String,
    pub(super) expires_at: Time,
    /// When it was received, or when the request that brought it left: its
    /// lifetime counts from then.
    received_at: Time,
    /// The server answered 401 to a request made with it.
    pub(super) rejected: bool,
}

impl Token {
    pub(super) fn new(value: String, expires_at: Time, received_at: Time) -> Token {
        Token { value, expires_at, received_at, rejected: false }
    }

    pub(super) fn lifetime(&self) -> u64 {
        self.expires_at.since(self.received_at)
    }

    /// A token is handed out only if it will still be valid when the request
    /// lands: not in its last tenth of life (at most 5 s).
    pub(super) fn usable(&self, now: Time) -> bool {
        !self.rejected && now < self.expires_at.before((self.lifetime() / 10).min(5_000))
    }

    /// The form other tabs get.
    pub(super) fn shared(&self) -> SharedToken {
        SharedToken { expires_at: self.expires_at, value: self.value.clone() }
    }

    /// The tab that refreshes first does `lead_ms` before expiry (at most
    /// half the token's life); the others only if it has not delivered
    /// halfway through the remaining lead, which covers a frozen tab.
    pub(super) fn refresh_at(&self, lead_ms: u64, first: bool) -> Time {
        let lead = self.lead(lead_ms);
        self.expires_at.before(if first { lead } else { lead / 2 })
    }

    /// How long before expiry the tab that refreshes first does: `lead_ms`, at most half its life.
    pub(super) fn lead(&self, lead_ms: u64) -> u64 {
        lead_ms.min(self.lifetime() / 2)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flight {
    /// Nothing under way: a refresh may start.
    Ready,
    /// Waiting for the cross-tab lock since then (or since it was last taken over).
    WaitingLock(Time),
    /// The request left at `sent_at`, during session `epoch`.
    Sending { epoch: u32, sent_at: Time },
    /// This tab cannot refresh: it asked the other tabs at `since`, and
    /// whether one that can has answered.
    Asking { since: Time, answered: bool },
}

#[derive(Debug)]
pub(super) struct Refresh {
    flight: Flight,
    /// Retries after failures.
    pub(super) backoff: Backoff,
    /// When the last token arrived (a login, a refresh, a sibling's).
    last: Option<Time>,
    /// Someone awaits a token (`getAccessToken()`, `fetch()`).
    waiters: bool,
    /// The waiters are answered at the end of this step.
    answer: bool,
    /// The tab that signed in or refreshed last, while it lives: it
    /// refreshes next, so that a token source that keeps per-tab state (a
    /// library's cache that lags in the other tabs) keeps using the same tab.
    pub(super) affinity: Option<u64>,
    /// This tab's token source cannot refresh here (it said so since the session began).
    unable: bool,
    /// A tab that cannot refresh asked this one to.
    asked: bool,
}

impl Refresh {
    pub(super) fn new() -> Refresh {
        Refresh {
            flight: Flight::Ready,
            backoff: Backoff::default(),
            last: None,
            waiters: false,
            answer: false,
            affinity: None,
            unable: false,
            asked: false,
        }
    }

    /// A session starts or ends: what was learnt about which tab can
    /// refresh belonged to the one before.
    pub(super) fn new_session(&mut self) {
        self.affinity = None;
        self.unable = false;
        self.asks_done();
    }

    /// No ask is open any more, this tab's or another's of this tab.
    fn asks_done(&mut self) {
        self.asked = false;
        if let Flight::Asking { .. } = self.flight {
            self.flight = Flight::Ready;
        }
    }

    /// Nothing is under way.
    pub(super) fn ready(&self) -> bool {
        self.flight == Flight::Ready
    }

    /// Starts waiting for the cross-tab lock; false if something is already under way.
    pub(super) fn wait_for_lock(&mut self, now: Time) -> bool {
        let start = self.ready();
        if start {
            self.flight = Flight::WaitingLock(now);
        }
        start
    }

    /// When the wait for the lock has lasted `patience_ms`: then the lock is taken over.
    pub(super) fn lock_overdue(&self, patience_ms: u64) -> Option<Time> {
        match self.flight {
            Flight::WaitingLock(since) => Some(since.after(patience_ms)),
            _ => None,
        }
    }

    /// When the other tabs have had `wait_ms` to answer this tab's ask.
    fn ask_overdue(&self, wait_ms: u64) -> Option<Time> {
        match self.flight {
            Flight::Asking { since, .. } => Some(since.after(wait_ms)),
            _ => None,
        }
    }

    /// A tab that can refresh answered this tab's ask.
    fn ask_answered(&self) -> bool {
        matches!(self.flight, Flight::Asking { answered: true, .. })
    }

    /// The lock is being taken over at `now`: the wait starts again.
    pub(super) fn taking_over(&mut self, now: Time) {
        if let Flight::WaitingLock(_) = self.flight {
            self.flight = Flight::WaitingLock(now);
        }
    }

    /// This tab asked the others to refresh for it.
    pub(super) fn asking(&self) -> bool {
        matches!(self.flight, Flight::Asking { .. })
    }

    /// Waiting for the cross-tab lock (when it comes, the refresh may go).
    pub(super) fn waiting_for_lock(&self) -> bool {
        matches!(self.flight, Flight::WaitingLock(_))
    }

    /// The request leaves at `now`, during session `epoch`.
    pub(super) fn send(&mut self, now: Time, epoch: u32) {
        self.flight = Flight::Sending { epoch, sent_at: now };
    }

    /// The lock came but another tab had refreshed meanwhile.
    pub(super) fn not_needed(&mut self) {
        self.flight = Flight::Ready;
    }

    /// The request came back: its session epoch and when it left.
    pub(super) fn done(&mut self) -> Option<(u32, Time)> {
        let Flight::Sending { epoch, sent_at } = self.flight else { return None };
        self.flight = Flight::Ready;
        Some((epoch, sent_at))
    }

    /// A token arrived at `now`: an ask is answered.
    pub(super) fn received(&mut self, now: Time) {
        self.last = Some(now);
        self.asks_done();
    }

    pub(super) fn last(&self) -> Option<Time> {
        self.last
    }

    /// Someone awaits a token.
    pub(super) fn wait(&mut self) {
        self.waiters = true;
    }

    pub(super) fn waiting(&self) -> bool {
        self.waiters
    }

    /// Everyone waiting is answered at the end of this step.
    pub(super) fn answer_waiters(&mut self) {
        self.answer = self.answer || core::mem::take(&mut self.waiters);
    }

    /// Whether the waiters are to be answered now.
    pub(super) fn take_answer(&mut self) -> bool {
        core::mem::take(&mut self.answer)
    }
}

/// The engine's side of the refresh: when one is due, and what its lock and
/// reply change.
impl Engine {
    /// The access token (report it back with [`Input::TokenRejected`] if the
    /// server refuses it), only while it is valid at `now`.
    pub fn access_token(&self, now: Time) -> Option<&str> {
        match &self.auth {
            Auth::In(Session { token: Some(t), idle: false, .. }) if t.usable(now.max(self.now)) => {
                Some(t.value.as_str())
            }
            _ => None,
        }
    }

    /// Back from the back/forward cache: messages sent while the page was
    /// cached may never have arrived (WebKit drops them), so its token is
    /// checked with the server before it is handed out again (a logout
    /// elsewhere answers 401), unless a sibling still signed in answers first.
    pub(super) fn verify_token_again(&mut self) {
        if let Some(t) = self.token_mut() {
            t.rejected = true;
        }
        self.broadcast(Message::SessionWanted);
    }

    pub(super) fn token_wanted(&mut self, now: Time) {
        self.refresh.wait();
        if self.access_token(now).is_some() {
            self.refresh.answer_waiters();
        }
    }

    pub(super) fn refresh_lock_acquired(&mut self, now: Time) {
        if !self.refresh.waiting_for_lock() {
            self.unlock_refresh();
            return;
        }
        // Another tab may have refreshed while we waited for the lock.
        if self.refresh_needed() {
            self.refresh.send(now, self.epoch);
            self.out.push_back(Command::SendRefresh);
        } else {
            self.refresh.not_needed();
            self.unlock_refresh();
            self.resolve_waiters();
        }
    }

    pub(super) fn refresh_done(&mut self, now: Time, result: RefreshResult) {
        let Some((epoch, sent_at)) = self.refresh.done() else { return };
        let stale = epoch != self.epoch;
        match (result, &self.auth) {
            (_, Auth::Out) => {}
            // Sent for an earlier session: neither its token nor its 401 is about this one.
            _ if stale => {}
            // Below one second a token would be refreshed in a tight loop.
            (RefreshResult::Ok { token, expires_in_ms }, _)
                if !token.is_empty() && expires_in_ms >= MIN_TOKEN_LIFETIME_MS =>
            {
                self.refresh.backoff.reset();
                // Counted from when the request left: the server issued the token
                // after that, so this errs early, whatever the server's clock says
                // and however long the reply took (a laptop may sleep in between).
                let token = Token::new(token, sent_at.after(expires_in_ms), sent_at);
                let shared = token.shared();
                if self.adopt_token(now, now, token) {
                    self.refresh.affinity = Some(self.tab);
                    let started_at = self.started_at().unwrap_or(now);
                    self.broadcast(Message::Token { started_at, token: shared });
                }
            }
            (RefreshResult::Ok { .. }, _) => self.refresh_failed(now, Failure::Malformed),
            // No sibling answered this new tab, and it cannot refresh: no session.
            (RefreshResult::Rejected | RefreshResult::Elsewhere, Auth::Restoring(_)) => self.auth = Auth::Out,
            // The waiters wait on for the token a sibling brings.
            (RefreshResult::Elsewhere, Auth::In(_)) => {
                self.refresh.unable = true;
                if self.refresh.affinity == Some(self.tab) {
                    self.refresh.affinity = None;
                }
                self.unlock_refresh();
                return self.ask_siblings(now);
            }
            (RefreshResult::Rejected, Auth::In(_)) => self.end(Reason::Revoked, false),
            (RefreshResult::Failed(f), _) => self.refresh_failed(now, f),
        }
        // Released after the broadcast, so that a tab queued on the lock most
        // likely hears of the new token before it gets the lock.
        self.unlock_refresh();
        self.resolve_waiters();
    }

    fn refresh_failed(&mut self, now: Time, f: Failure) {
        self.refresh.backoff.fail(now, f, &mut self.rng);
        self.emit(Event::Error(Operation::Refresh, f));
    }

    /// When the wait for the refresh Web Lock has outlasted any refresh
    /// another tab could be making (without Web Locks a claim expires
    /// instead). Each tab waits a little longer than the patience, by an
    /// amount of its own, so that tabs queued together do not all take the
    /// lock over at once; the first to do so tells the others
    /// ([`Engine::lock_taken_over`]), and a wake starts the wait anew.
    pub(super) fn refresh_lock_overdue(&self) -> Option<Time> {
        if self.claims.is_some() {
            return None;
        }
        self.refresh.lock_overdue(self.staggered(self.t.lock_patience_ms()))
    }

    /// Another tab took the refresh Web Lock over: the wait starts again
    /// behind it.
    pub(super) fn lock_taken_over(&mut self, now: Time) {
        self.refresh.taking_over(now);
    }

    /// The token's part of the evaluation: waiters that cannot be served are
    /// answered, a due refresh starts, a lock held too long is taken over.
    pub(super) fn evaluate_refresh(&mut self, now: Time) {
        if self.refresh.waiting() && !self.can_get_token() {
            self.resolve_waiters();
        }
        if self.ask_due().is_some_and(|at| at <= now) {
            if self.refresh.ask_answered() {
                self.refresh.flight = Flight::Ready;
            } else {
                self.end(Reason::Revoked, false);
            }
        }
        if self.refresh_due().is_some_and(|d| d <= now) {
            self.start_refresh();
        }
        if self.refresh_lock_overdue().is_some_and(|d| d <= now) {
            self.refresh.taking_over(now);
            self.out.push_back(Command::StealRefreshLock);
            // The other tabs queued behind the hung holder wait behind this one now.
            self.broadcast(Message::Claim { lock: LockName::Refresh, held: true });
        }
    }

    fn start_refresh(&mut self) {
        if self.refresh.unable {
            self.ask_siblings(self.now);
        } else if self.refresh.wait_for_lock(self.now) {
            self.lock_refresh();
        }
    }

    /// This tab cannot refresh: it asks the tabs that can.
    fn ask_siblings(&mut self, now: Time) {
        self.refresh.flight = Flight::Asking { since: now, answered: false };
        self.broadcast(Message::RefreshWanted);
    }

    /// A tab that cannot refresh asked: each one that can answers, so that
    /// the asker knows it is heard, and refreshes at once; the lock lets
    /// the first through, and the others find the token new when it comes.
    pub(super) fn refresh_asked(&mut self) {
        if !self.refresh.unable && self.t.refresh && self.answer_session() {
            self.refresh.asked = true;
        }
    }

    /// A sibling's answer or token: an ask of this tab was heard.
    fn ask_heard(&mut self) {
        if let Flight::Asking { since, .. } = self.refresh.flight {
            self.refresh.flight = Flight::Asking { since, answered: true };
        }
    }

    /// When this tab's ask has waited a request's time: heard, it may ask
    /// again; unheard, no tab can refresh and the session is over. Each tab
    /// waits a little longer, by an amount of its own, so that of tabs that
    /// asked together one decides and tells the others.
    pub(super) fn ask_due(&self) -> Option<Time> {
        self.refresh.ask_overdue(self.staggered(self.t.request_timeout_ms))
    }

    /// `ms` and up to a quarter more, by this tab's id: tabs that wait for
    /// the same thing give up one after the other, and the first tells the rest.
    fn staggered(&self, ms: u64) -> u64 {
        ms + self.tab % (ms / 4 + 1)
    }

    /// Another tab refreshed last: it refreshes next while it lives, watched
    /// through its Web Lock of life. A tab that has just signed in is
    /// followed but not watched until its first refresh: its login can
    /// reach the other tabs before its own request for that lock reaches the
    /// browser, and a watch granted first would take it for gone.
    pub(super) fn follow_refresher(&mut self, tab: u64) {
        if self.claims.is_none() {
            self.out.push_back(Command::WatchTab(tab));
        }
        self.refresh.affinity = Some(tab);
    }

    /// Whether this tab refreshes first, ahead of the others' fallback: it
    /// signed in or refreshed last, or, with no such tab alive, it leads.
    fn refreshes_first(&self) -> bool {
        match self.refresh.affinity {
            Some(tab) => tab == self.tab,
            None => self.leader && !self.refresh.unable,
        }
    }

    /// Which tab refreshes the token next, for the app's `state`.
    pub(super) fn refresher(&self) -> Option<Refresher> {
        self.session()?.token.as_ref()?;
        Some(match self.refresh.affinity {
            _ if self.refresh.unable => Refresher::Unable,
            Some(tab) if tab == self.tab => Refresher::This,
            Some(_) => Refresher::Other,
            None => Refresher::Leader,
        })
    }

    /// Whether a refresh may be started at all: an alive session (or a restore),
    /// online, nothing in flight.
    pub(super) fn can_get_token(&self) -> bool {
        let alive = match &self.auth {
            Auth::In(s) => !s.idle,
            Auth::Restoring(_) => true,
            Auth::Out => false,
        };
        alive && self.t.refresh && self.online
    }

    /// Another tab's token (from its refresh), or its answer to this new tab:
    /// the session, its token if any, and when the user was last present.
    pub(super) fn heard_session(
        &mut self,
        now: Time,
        started: Time,
        active_at: Option<Time>,
        token: Option<SharedToken>,
    ) {
        let joining = matches!(self.auth, Auth::Restoring(_));
        self.ask_heard();
        match token {
            Some(t) if !matches!(self.auth, Auth::Out) => {
                self.adopt_token(now, started.min(now), Token::new(t.value, t.expires_at, now));
                self.resolve_waiters();
            }
            None if joining => self.start_session(started.min(now), None, false),
            _ => {}
        }
        if let (Some(at), Auth::In(_)) = (active_at, &self.auth) {
            self.activity.joined(joining, at.min(now));
        }
    }

    /// When the token should be renewed, whatever is in flight: at its
    /// refresh time, or now if there is none, it was rejected, or someone waits
    /// for one it can no longer serve.
    fn refresh_wanted_at(&self) -> Option<Time> {
        let now = self.now;
        match &self.auth {
            Auth::Out | Auth::Restoring(Some(_)) => None,
            Auth::Restoring(None) => Some(now),
            Auth::In(_) if self.refresh.asked => Some(now),
            Auth::In(s) => match &s.token {
                // The user will count as gone before this token expires, or
                // within the lead after it, unless they act again: no refresh
                // ahead of time (a refresh to spare at most the lead's wait),
                // only on demand (a getAccessToken() it can no longer serve, a
                // 401), or once activity moves the idle deadline further. An
                // idle hour then costs no request, also where the idle timeout
                // equals the token's lifetime (counted from the login's send,
                // the idle deadline from its reply).
                Some(t)
                    if !t.rejected
                        && !self.refresh.waiting()
                        && self.idle_at().is_some_and(|i| i <= t.expires_at.after(t.lead(self.t.refresh_lead_ms))) =>
                {
                    None
                }
                Some(t) if !t.rejected && (!self.refresh.waiting() || t.usable(now)) => {
                    Some(t.refresh_at(self.t.refresh_lead_ms, self.refreshes_first()))
                }
                _ => Some(now),
            },
        }
    }

    fn refresh_needed(&self) -> bool {
        self.refresh_wanted_at().is_some_and(|d| d <= self.now)
    }

    pub(super) fn refresh_due(&self) -> Option<Time> {
        if !self.can_get_token() || !self.refresh.ready() {
            return None;
        }
        let due = self.refresh_wanted_at()?;
        Some(self.refresh.backoff.delay(due))
    }
}
