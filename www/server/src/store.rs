//! Session store: the trait the handlers use and its in-memory implementation.
//! The Redis implementation is in `redis_store.rs`; both follow the same rules
//! and the same integration tests run against both.
//!
//! One login = one session = (in token mode) one refresh family, and they share
//! one id. The family's state (counter, last rotation) therefore lives inside
//! the session record: revoking either is deleting that record, and the
//! session's idle/absolute expiry bounds the family too. A user holds at most
//! [`Policy::max_sessions_per_user`] sessions: a login beyond that ends the
//! oldest.
//!
//! The store also keeps the login allowances ([`Allowance`]): how many failed
//! logins an account or a client address may still make. They live here so
//! that instances sharing a Redis share them too.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// Milliseconds since the Unix epoch. Wall-clock rather than monotonic because
/// instances sharing one Redis must agree on it.
pub type Millis = u64;

/// A boxed future, so the trait stays object-safe (`Arc<dyn Store>`).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store failed (Redis unreachable, unexpected reply, ...).
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session store error: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// The timing rules the store enforces, in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Sliding idle timeout.
    pub idle_ms: u64,
    /// Absolute lifetime from login.
    pub absolute_ms: u64,
    /// How long after a rotation the previous refresh token is still answered
    /// (elapsed < grace; 0 disables the grace reply).
    pub grace_ms: u64,
    /// Minimum spacing of accepted keepalives.
    pub keepalive_min_ms: u64,
    /// Live sessions per user; a login beyond it ends the oldest ones.
    pub max_sessions_per_user: u32,
}

/// Milliseconds of a duration, saturating.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Policy {
    /// Takes the policy from durations (sub-millisecond parts are dropped).
    pub fn new(idle: Duration, absolute: Duration, grace: Duration, keepalive: Duration, max_per_user: u32) -> Self {
        Policy {
            idle_ms: millis(idle),
            absolute_ms: millis(absolute),
            grace_ms: millis(grace),
            keepalive_min_ms: millis(keepalive),
            max_sessions_per_user: max_per_user.max(1),
        }
    }
}

/// A login allowance (generic cell rate algorithm): `limit` attempts at once,
/// coming back one per `window / limit`. The store keeps, per key, the time at
/// which the allowance would be whole again; an attempt moves it one interval
/// on, and is refused while it lies more than `limit - 1` intervals ahead.
#[derive(Clone, Copy, Debug)]
pub struct Allowance {
    /// Attempts in a burst (at least 1).
    pub limit: u32,
    /// Time over which a spent allowance comes back in full.
    pub window_ms: u64,
}

impl Allowance {
    /// Time for one attempt to come back (at least 1 ms).
    pub fn interval_ms(self) -> u64 {
        (self.window_ms / u64::from(self.limit.max(1))).max(1)
    }

    /// How far ahead of now the "whole again" time may lie and still admit an attempt.
    pub fn tolerance_ms(self) -> u64 {
        self.interval_ms().saturating_mul(u64::from(self.limit.max(1)) - 1)
    }

    /// One attempt at `now` against the stored "whole again" time `tat`:
    /// `Ok(new tat)`, or `Err(ms until the next attempt is admitted)`.
    pub fn take(self, tat: Option<Millis>, now: Millis) -> Result<Millis, u64> {
        let tat = tat.unwrap_or(now).max(now);
        let ahead = tat - now;
        if ahead > self.tolerance_ms() {
            Err(ahead - self.tolerance_ms())
        } else {
            Ok(tat.saturating_add(self.interval_ms()))
        }
    }
}

/// Outcome of a keepalive.
#[derive(Debug, PartialEq, Eq)]
pub enum Keepalive {
    /// The idle expiry slid forward.
    Accepted,
    /// Too soon after the previous accepted keepalive; nothing changed.
    RateLimited {
        /// Until the next keepalive would be accepted.
        retry_after_ms: u64,
    },
    /// No live session with that id.
    NoSession,
}

/// Outcome of presenting refresh token `(family, counter)`; see README, "Refresh-token rotation".
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// `counter` was current: the family moved to `counter` (the new value).
    Rotated {
        /// The session's user.
        email: String,
        /// The new current counter.
        counter: u64,
    },
    /// `counter` was the previous one, within the grace window: nothing
    /// rotated; `counter` is the family's current value to hand back.
    Grace {
        /// The session's user.
        email: String,
        /// The current (unchanged) counter.
        counter: u64,
    },
    /// An older token, or the previous one after the grace window: the
    /// session and family were revoked.
    ReuseDetected,
    /// Unknown, revoked, idled-out or expired session, or a cookie-only one.
    Dead,
}

/// The operations the HTTP layer needs. Every method is one atomic step.
/// `now` is the instance's clock; a shared store may use its own instead.
pub trait Store: Send + Sync {
    /// "memory" or "redis", for the start-up banner.
    fn kind(&self) -> &'static str;
    /// The signing secret all instances on this store share: the first
    /// instance's `candidate` wins.
    fn shared_secret(&self, candidate: Vec<u8>) -> BoxFut<'_, Vec<u8>>;
    /// Creates session `id` for `email`; with a refresh family at counter 0 if
    /// `with_family`.
    fn create(&self, id: String, email: String, with_family: bool, now: Millis) -> BoxFut<'_, ()>;
    /// Rate-limits, then slides the idle expiry.
    fn keepalive(&self, id: String, now: Millis) -> BoxFut<'_, Keepalive>;
    /// Slides the idle expiry of a live session without the keepalive's rate
    /// limit (app traffic); its user, or `None` when there is no live session.
    fn touch(&self, id: String, now: Millis) -> BoxFut<'_, Option<String>>;
    /// Applies the rotation rule to refresh token `(id, counter)`.
    fn refresh(&self, id: String, counter: u64, now: Millis) -> BoxFut<'_, Refresh>;
    /// Deletes session and family; no error if absent.
    fn revoke(&self, id: String) -> BoxFut<'_, ()>;
    /// Takes one login attempt from the allowance under `key`: `None` when
    /// admitted, `Some(ms)` when it is spent and the next attempt is admitted
    /// in `ms`.
    fn take_attempt(&self, key: String, allowance: Allowance, now: Millis) -> BoxFut<'_, Option<u64>>;
    /// Gives back one attempt taken under `key`, or with `whole` the whole
    /// allowance (a successful login).
    fn give_back(&self, key: String, allowance: Allowance, whole: bool, now: Millis) -> BoxFut<'_, ()>;
}

#[derive(Debug)]
struct Session {
    email: String,
    /// Login order: the oldest go first when a user has too many.
    created: u64,
    absolute_expiry: Millis,
    last_seen: Millis,
    last_keepalive: Option<Millis>,
    /// The refresh family; `None` for cookie mode.
    family: Option<Family>,
}

#[derive(Debug)]
struct Family {
    counter: u64,
    rotated_at: Millis,
    /// The previous token was already answered once in the grace window.
    graced: bool,
}

impl Session {
    fn live(&self, now: Millis, p: &Policy) -> bool {
        now < self.last_seen.saturating_add(p.idle_ms) && now < self.absolute_expiry
    }
}

/// Most login allowances the memory store keeps. Past it, whole ones are
/// dropped; if that frees nothing, attempts under new keys are refused until
/// some come back (failing closed: a flood of addresses cannot grow memory).
pub const MAX_ALLOWANCES: usize = 100_000;

/// The default store: one process, one mutex. Expired records are purged on
/// each login, so memory stays bounded by the number of live sessions.
pub struct MemoryStore {
    policy: Policy,
    sessions: Mutex<HashMap<String, Session>>,
    logins: AtomicU64,
    /// Login allowances: key -> time at which it is whole again.
    allowances: Mutex<HashMap<String, Millis>>,
}

impl MemoryStore {
    /// An empty store enforcing `policy`.
    pub fn new(policy: Policy) -> Self {
        MemoryStore { policy, sessions: Mutex::default(), logins: AtomicU64::new(0), allowances: Mutex::default() }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Session>) -> T) -> T {
        // A panic elsewhere while holding the lock cannot leave a half-written
        // record (every update is a few field stores), so poisoning is ignored.
        let mut map = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut map)
    }
}

/// The session `id` if it is still live; an expired one is removed on the way,
/// so every operation sees the same answer the Redis scripts give.
fn live_session<'m>(m: &'m mut HashMap<String, Session>, id: &str, now: Millis, p: &Policy) -> Option<&'m mut Session> {
    if m.get(id).is_some_and(|s| !s.live(now, p)) {
        m.remove(id);
    }
    m.get_mut(id)
}

impl Store for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn shared_secret(&self, candidate: Vec<u8>) -> BoxFut<'_, Vec<u8>> {
        Box::pin(async move { Ok(candidate) })
    }

    fn create(&self, id: String, email: String, with_family: bool, now: Millis) -> BoxFut<'_, ()> {
        let p = self.policy;
        let created = self.logins.fetch_add(1, Relaxed);
        self.with(|m| {
            m.retain(|_, s| s.live(now, &p));
            let mut mine: Vec<(u64, String)> =
                m.iter().filter(|(_, s)| s.email == email).map(|(k, s)| (s.created, k.clone())).collect();
            // This login makes one more.
            let over = (mine.len() + 1).saturating_sub(p.max_sessions_per_user as usize);
            mine.sort_unstable();
            for (_, old) in mine.into_iter().take(over) {
                m.remove(&old);
            }
            m.insert(
                id,
                Session {
                    email,
                    created,
                    absolute_expiry: now.saturating_add(p.absolute_ms),
                    last_seen: now,
                    last_keepalive: None,
                    family: with_family.then_some(Family { counter: 0, rotated_at: now, graced: false }),
                },
            );
        });
        Box::pin(async { Ok(()) })
    }

    fn keepalive(&self, id: String, now: Millis) -> BoxFut<'_, Keepalive> {
        let p = self.policy;
        let out = self.with(|m| {
            let Some(s) = live_session(m, &id, now, &p) else {
                return Keepalive::NoSession;
            };
            if let Some(last) = s.last_keepalive {
                let since = now.saturating_sub(last);
                if since < p.keepalive_min_ms {
                    return Keepalive::RateLimited { retry_after_ms: p.keepalive_min_ms - since };
                }
            }
            s.last_keepalive = Some(now);
            s.last_seen = now;
            Keepalive::Accepted
        });
        Box::pin(async move { Ok(out) })
    }

    fn touch(&self, id: String, now: Millis) -> BoxFut<'_, Option<String>> {
        let p = self.policy;
        let out = self.with(|m| {
            let s = live_session(m, &id, now, &p)?;
            s.last_seen = now;
            Some(s.email.clone())
        });
        Box::pin(async move { Ok(out) })
    }

    fn refresh(&self, id: String, counter: u64, now: Millis) -> BoxFut<'_, Refresh> {
        let p = self.policy;
        let out = self.with(|m| {
            let Some(s) = live_session(m, &id, now, &p) else {
                return Refresh::Dead;
            };
            let Some(f) = s.family.as_mut() else {
                return Refresh::Dead;
            };
            let current = f.counter;
            if counter == current {
                *f = Family { counter: current + 1, rotated_at: now, graced: false };
                s.last_seen = now;
                Refresh::Rotated { email: s.email.clone(), counter: current + 1 }
            } else if counter.checked_add(1) == Some(current)
                && now.saturating_sub(f.rotated_at) < p.grace_ms
                && !f.graced
            {
                // One racing request is answered; a second replay of the same
                // token is not a race any more.
                f.graced = true;
                s.last_seen = now;
                Refresh::Grace { email: s.email.clone(), counter: current }
            } else {
                m.remove(&id);
                Refresh::ReuseDetected
            }
        });
        Box::pin(async move { Ok(out) })
    }

    fn revoke(&self, id: String) -> BoxFut<'_, ()> {
        self.with(|m| m.remove(&id));
        Box::pin(async { Ok(()) })
    }

    fn take_attempt(&self, key: String, allowance: Allowance, now: Millis) -> BoxFut<'_, Option<u64>> {
        let mut m = self.allowances.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= MAX_ALLOWANCES && !m.contains_key(&key) {
            m.retain(|_, whole_at| *whole_at > now);
        }
        let out = if m.len() >= MAX_ALLOWANCES && !m.contains_key(&key) {
            Some(allowance.interval_ms())
        } else {
            match allowance.take(m.get(&key).copied(), now) {
                Ok(tat) => {
                    m.insert(key, tat);
                    None
                }
                Err(retry_after_ms) => Some(retry_after_ms),
            }
        };
        Box::pin(async move { Ok(out) })
    }

    fn give_back(&self, key: String, allowance: Allowance, whole: bool, now: Millis) -> BoxFut<'_, ()> {
        let mut m = self.allowances.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tat) = m.get(&key).copied() {
            let back = if whole { now } else { tat.saturating_sub(allowance.interval_ms()) };
            if back <= now {
                m.remove(&key);
            } else {
                m.insert(key, back);
            }
        }
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> MemoryStore {
        MemoryStore::new(Policy {
            idle_ms: 100,
            absolute_ms: 1000,
            grace_ms: 10,
            keepalive_min_ms: 5,
            max_sessions_per_user: 2,
        })
    }

    fn block<T>(f: BoxFut<'_, T>) -> T {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(f).unwrap()
    }

    #[test]
    fn idle_and_absolute_expiry_end_the_session() {
        let s = store();
        block(s.create("a".into(), "u".into(), false, 0));
        assert_eq!(block(s.keepalive("a".into(), 90)), Keepalive::Accepted);
        assert_eq!(block(s.keepalive("a".into(), 92)), Keepalive::RateLimited { retry_after_ms: 3 });
        assert_eq!(block(s.keepalive("a".into(), 189)), Keepalive::Accepted);
        assert_eq!(block(s.keepalive("a".into(), 289)), Keepalive::NoSession);
        block(s.create("b".into(), "u".into(), false, 0));
        for t in (50..1000).step_by(50) {
            assert_eq!(block(s.keepalive("b".into(), t)), Keepalive::Accepted);
        }
        assert_eq!(block(s.keepalive("b".into(), 1000)), Keepalive::NoSession);
    }

    #[test]
    fn touch_slides_without_a_rate_limit() {
        let s = store();
        block(s.create("a".into(), "u".into(), false, 0));
        assert_eq!(block(s.keepalive("a".into(), 1)), Keepalive::Accepted);
        for t in [2, 3, 90, 180, 270] {
            assert_eq!(block(s.touch("a".into(), t)).as_deref(), Some("u"));
        }
        assert_eq!(block(s.touch("a".into(), 370)), None);
        assert_eq!(block(s.touch("nope".into(), 0)), None);
    }

    #[test]
    fn rotation_grace_and_reuse() {
        let s = store();
        block(s.create("f".into(), "u".into(), true, 0));
        let rotated = Refresh::Rotated { email: "u".into(), counter: 1 };
        assert_eq!(block(s.refresh("f".into(), 0, 20)), rotated);
        assert_eq!(block(s.refresh("f".into(), 0, 29)), Refresh::Grace { email: "u".into(), counter: 1 });
        assert_eq!(block(s.refresh("f".into(), 0, 30)), Refresh::ReuseDetected);
        assert_eq!(block(s.refresh("f".into(), 1, 32)), Refresh::Dead);
        // Within the window, only the first replay is answered.
        block(s.create("g".into(), "u".into(), true, 100));
        assert!(matches!(block(s.refresh("g".into(), 0, 101)), Refresh::Rotated { .. }));
        assert!(matches!(block(s.refresh("g".into(), 0, 102)), Refresh::Grace { .. }));
        assert_eq!(block(s.refresh("g".into(), 0, 103)), Refresh::ReuseDetected);
    }

    #[test]
    fn a_login_beyond_the_per_user_bound_ends_the_oldest_session() {
        let s = store();
        for id in ["a", "b", "c"] {
            block(s.create(id.into(), "u".into(), false, 0));
        }
        block(s.create("x".into(), "other".into(), false, 0));
        assert_eq!(block(s.touch("a".into(), 1)), None);
        for id in ["b", "c", "x"] {
            assert!(block(s.touch(id.into(), 1)).is_some(), "{id}");
        }
    }

    #[test]
    fn allowance_admits_a_burst_then_one_per_interval_and_comes_back() {
        let s = store();
        let a = Allowance { limit: 3, window_ms: 300 };
        for _ in 0..3 {
            assert_eq!(block(s.take_attempt("k".into(), a, 1000)), None);
        }
        assert_eq!(block(s.take_attempt("k".into(), a, 1000)), Some(100));
        assert_eq!(block(s.take_attempt("k".into(), a, 1050)), Some(50));
        assert_eq!(block(s.take_attempt("k".into(), a, 1100)), None);
        assert_eq!(block(s.take_attempt("k".into(), a, 1100)), Some(100));
        assert_eq!(block(s.take_attempt("other".into(), a, 1100)), None);
        block(s.give_back("k".into(), a, false, 1100));
        assert_eq!(block(s.take_attempt("k".into(), a, 1100)), None);
        block(s.give_back("k".into(), a, true, 1100));
        for _ in 0..3 {
            assert_eq!(block(s.take_attempt("k".into(), a, 1100)), None);
        }
    }
}
