//! The access token and how it is renewed: the token itself, the one refresh
//! flight of this tab (waiting for the cross-tab lock, then sending), its
//! retries, and whether someone awaits a token.

use alloc::string::String;

use super::backoff::{Backoff, Rng};
use super::io::Failure;
use super::message::SharedToken;
use super::time::Time;

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

    /// The leader refreshes `lead_ms` before expiry (at most half the token's
    /// life); other tabs only if the leader has not delivered halfway through
    /// the remaining lead, which covers a frozen leader tab.
    pub(super) fn refresh_at(&self, lead_ms: u64, leader: bool) -> Time {
        let lead = lead_ms.min(self.lifetime() / 2);
        self.expires_at.before(if leader { lead } else { lead / 2 })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flight {
    /// Nothing under way: a refresh may start.
    Ready,
    WaitingLock,
    /// The request left at `sent_at`, during session `epoch`.
    Sending {
        epoch: u32,
        sent_at: Time,
    },
}

#[derive(Debug)]
pub(super) struct Refresh {
    flight: Flight,
    backoff: Backoff,
    /// When the last token arrived (a login, a refresh, a sibling's).
    last: Option<Time>,
    /// Someone awaits a token (`getAccessToken()`, `fetch()`).
    waiters: bool,
}

impl Refresh {
    pub(super) fn new() -> Refresh {
        Refresh { flight: Flight::Ready, backoff: Backoff::default(), last: None, waiters: false }
    }

    /// Nothing is under way.
    pub(super) fn ready(&self) -> bool {
        self.flight == Flight::Ready
    }

    /// Starts waiting for the cross-tab lock; false if something is already under way.
    pub(super) fn wait_for_lock(&mut self) -> bool {
        let start = self.ready();
        if start {
            self.flight = Flight::WaitingLock;
        }
        start
    }

    /// The lock came: true if this tab was waiting for it (else it must be released).
    pub(super) fn lock_acquired(&self) -> bool {
        self.flight == Flight::WaitingLock
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

    pub(super) fn succeeded(&mut self) {
        self.backoff = Backoff::default();
    }

    pub(super) fn failed(&mut self, now: Time, failure: Failure, rng: &mut Rng) {
        self.backoff.fail(now, failure, rng);
    }

    /// A new or ended session starts without the last one's retries.
    pub(super) fn forget_failures(&mut self) {
        self.backoff = Backoff::default();
    }

    /// Back online: retry at once.
    pub(super) fn retry_now(&mut self) {
        self.backoff.retry_now();
    }

    /// `due`, or later if a retry must wait.
    pub(super) fn delay(&self, due: Time) -> Time {
        self.backoff.delay(due)
    }

    /// A token arrived at `now`.
    pub(super) fn received(&mut self, now: Time) {
        self.last = Some(now);
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

    /// Whether anyone waited; they are all answered now.
    pub(super) fn take_waiters(&mut self) -> bool {
        core::mem::take(&mut self.waiters)
    }
}
