//! Session store: the trait the handlers use and its in-memory implementation.
//! The Redis implementation is in `redis_store.rs`; both follow the same rules
//! and the same integration tests run against both.
//!
//! One login = one session = (in token mode) one refresh family, and they share
//! one id. The family's state (counter, last rotation) therefore lives inside
//! the session record: revoking either is deleting that record, and the
//! session's idle/absolute expiry bounds the family too.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
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
}

impl Policy {
    /// Takes the policy from durations (sub-millisecond parts are dropped).
    pub fn new(idle: Duration, absolute: Duration, grace: Duration, keepalive: Duration) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Policy { idle_ms: ms(idle), absolute_ms: ms(absolute), grace_ms: ms(grace), keepalive_min_ms: ms(keepalive) }
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
}

#[derive(Debug)]
struct Session {
    email: String,
    absolute_expiry: Millis,
    last_seen: Millis,
    last_keepalive: Option<Millis>,
    /// `(counter, rotated_at)` of the refresh family; `None` for cookie mode.
    family: Option<(u64, Millis)>,
}

impl Session {
    fn live(&self, now: Millis, p: &Policy) -> bool {
        now < self.last_seen.saturating_add(p.idle_ms) && now < self.absolute_expiry
    }
}

/// The default store: one process, one mutex. Expired records are purged on
/// each login, so memory stays bounded by the number of live sessions.
pub struct MemoryStore {
    policy: Policy,
    sessions: Mutex<HashMap<String, Session>>,
}

impl MemoryStore {
    /// An empty store enforcing `policy`.
    pub fn new(policy: Policy) -> Self {
        MemoryStore { policy, sessions: Mutex::default() }
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
        self.with(|m| {
            m.retain(|_, s| s.live(now, &p));
            m.insert(
                id,
                Session {
                    email,
                    absolute_expiry: now.saturating_add(p.absolute_ms),
                    last_seen: now,
                    last_keepalive: None,
                    family: with_family.then_some((0, now)),
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
            let Some((current, rotated_at)) = s.family else {
                return Refresh::Dead;
            };
            if counter == current {
                s.family = Some((current + 1, now));
                s.last_seen = now;
                Refresh::Rotated { email: s.email.clone(), counter: current + 1 }
            } else if counter.checked_add(1) == Some(current) && now.saturating_sub(rotated_at) < p.grace_ms {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> MemoryStore {
        MemoryStore::new(Policy { idle_ms: 100, absolute_ms: 1000, grace_ms: 10, keepalive_min_ms: 5 })
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
    }
}
