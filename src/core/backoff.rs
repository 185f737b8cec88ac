//! Retries after transient failures: exponential backoff with equal jitter,
//! and the small random generator the jitter draws from (the engine has no
//! randomness of its own: the driver seeds it).

use super::io::Failure;
use super::time::Time;

const RETRY_BASE_MS: u64 = 1_000;
const RETRY_MAX_MS: u64 = 60_000;

/// Retries of one kind of request: how many failed in a row and when to try again.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Backoff {
    failures: u32,
    retry_at: Option<Time>,
}

impl Backoff {
    /// One more failure at `now`: the next try waits twice as long as the last
    /// (1 s up to 60 s), half of it random, so tabs that failed together do
    /// not retry together; at least the server's `Retry-After` (capped at 10 min).
    pub(super) fn fail(&mut self, now: Time, failure: Failure, rng: &mut Rng) {
        self.failures = self.failures.saturating_add(1);
        let exp = RETRY_BASE_MS.saturating_mul(1u64 << (self.failures - 1).min(16)).min(RETRY_MAX_MS);
        let mut delay = exp / 2 + rng.next() % (exp / 2 + 1);
        if let Failure::RateLimited(Some(after)) = failure {
            delay = delay.max(after.min(10 * RETRY_MAX_MS));
        }
        self.retry_at = Some(now.after(delay));
    }

    /// No failure counts any more (a success, a new or ended session).
    pub(super) fn reset(&mut self) {
        *self = Backoff::default();
    }

    /// Try again at once, at the next chance (back online: the wait was caused
    /// by being offline), keeping the count of failures.
    pub(super) fn retry_now(&mut self) {
        self.retry_at = None;
    }

    /// `due`, or later if a retry must wait.
    pub(super) fn delay(&self, due: Time) -> Time {
        self.retry_at.map_or(due, |r| due.max(r))
    }
}

/// splitmix64: small, fast, and good enough for jitter.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rng(u64);

impl Rng {
    /// Seeded per tab, so that tabs with the same seed still differ.
    pub(super) fn new(seed: u64, tab: u64) -> Rng {
        Rng(seed ^ tab.rotate_left(32) ^ 0x2545_f491_4f6c_dd1d)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
