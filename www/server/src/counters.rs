//! Event counters for tests and demos (`GET /api/test/counters`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use serde_json::{json, Value};

/// Per-process counters. Relaxed atomics: they are statistics, not
/// synchronisation.
#[derive(Default)]
pub struct Counters {
    requests: Mutex<BTreeMap<String, u64>>,
    /// Refresh tokens rotated.
    pub rotations: AtomicU64,
    /// Previous-token refreshes answered within the grace window.
    pub grace_replays: AtomicU64,
    /// Stale refresh tokens that revoked their family.
    pub reuse_detections: AtomicU64,
    /// Correctly signed but expired access tokens rejected.
    pub expired_tokens: AtomicU64,
    /// Malformed or forged access tokens rejected.
    pub invalid_tokens: AtomicU64,
    /// Keepalives answered 429.
    pub keepalive_rate_limited: AtomicU64,
    /// Keepalives answered 401 (no live session: it lapsed or was revoked).
    pub keepalive_rejected: AtomicU64,
    /// Refreshes answered 401 (missing, forged or reused token, dead session).
    pub refresh_rejected: AtomicU64,
    /// Requests answered by an armed test fault instead of their handler.
    pub faults_injected: AtomicU64,
    /// Logins answered 429 (an account's or a client's allowance was spent).
    pub login_throttled: AtomicU64,
    /// Password hashes being computed now, and the most at once.
    pub hashes: Gauge,
    /// Connections being served now, and the most at once.
    pub connections: Gauge,
}

/// A count of things in progress and its high-water mark, kept through
/// [`Gauge::enter`]'s guard.
#[derive(Default)]
pub struct Gauge {
    now: AtomicU64,
    peak: AtomicU64,
}

/// One thing in progress; counted out when dropped.
#[must_use = "the gauge counts out when this is dropped"]
pub struct Entered<'a>(&'a Gauge);

impl Gauge {
    /// Counts one in; the guard counts it out.
    pub fn enter(&self) -> Entered<'_> {
        let now = self.now.fetch_add(1, Relaxed) + 1;
        self.peak.fetch_max(now, Relaxed);
        Entered(self)
    }

    /// In progress now.
    pub fn now(&self) -> u64 {
        self.now.load(Relaxed)
    }

    /// The most in progress at once since start or the last reset.
    pub fn peak(&self) -> u64 {
        self.peak.load(Relaxed)
    }

    /// Starts the high-water mark again from the present count.
    pub fn reset_peak(&self) {
        self.peak.store(self.now(), Relaxed);
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Relaxed);
    }
}

impl Counters {
    /// Counts one request to `endpoint` (the matched route, or "unmatched").
    pub fn request(&self, endpoint: &str) {
        let mut m = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(endpoint.to_string()).or_default() += 1;
    }

    /// Adds one to `c`.
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    /// Everything as JSON.
    pub fn snapshot(&self) -> Value {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone();
        json!({
            "requests": requests,
            "refreshRotations": self.rotations.load(Relaxed),
            "graceReplays": self.grace_replays.load(Relaxed),
            "reuseDetections": self.reuse_detections.load(Relaxed),
            "expiredTokensRejected": self.expired_tokens.load(Relaxed),
            "invalidTokensRejected": self.invalid_tokens.load(Relaxed),
            "keepaliveRateLimited": self.keepalive_rate_limited.load(Relaxed),
            "keepaliveRejected": self.keepalive_rejected.load(Relaxed),
            "refreshRejected": self.refresh_rejected.load(Relaxed),
            "faultsInjected": self.faults_injected.load(Relaxed),
            "loginThrottled": self.login_throttled.load(Relaxed),
            "hashesInFlight": self.hashes.now(),
            "hashesInFlightPeak": self.hashes.peak(),
            "connectionsOpen": self.connections.now(),
            "connectionsOpenPeak": self.connections.peak(),
        })
    }

    /// Zeroes everything.
    pub fn reset(&self) {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clear();
        for c in [
            &self.rotations,
            &self.grace_replays,
            &self.reuse_detections,
            &self.expired_tokens,
            &self.invalid_tokens,
            &self.keepalive_rate_limited,
            &self.keepalive_rejected,
            &self.refresh_rejected,
            &self.faults_injected,
            &self.login_throttled,
        ] {
            c.store(0, Relaxed);
        }
        self.hashes.reset_peak();
        self.connections.reset_peak();
    }
}
