//! The server's one clock. Every time the server reads (token `iat`/`exp`,
//! session expiry, rotation grace, keepalive spacing) comes from
//! [`Clock::now_ms`], so a test can move the server's time together with a
//! browser whose clock it controls (`POST /api/test/clock`, only with
//! `--test-endpoints`). The Redis store adds the same offset to Redis' `TIME`.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::Millis;

/// Wall-clock milliseconds plus a test offset (0 unless a test set one).
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

/// The real wall clock in milliseconds since the Unix epoch.
pub fn system_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Clock {
    /// The server's current time.
    pub fn now_ms(&self) -> Millis {
        system_ms().saturating_add_signed(self.offset_ms())
    }

    /// How far the server's time is ahead of the wall clock (negative: behind).
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Relaxed)
    }

    /// Sets the offset; later reads of [`Clock::now_ms`] include it.
    pub fn set_offset_ms(&self, offset: i64) {
        self.offset_ms.store(offset, Relaxed);
    }

    /// Sets the offset so that the server's time is `now` at this instant.
    pub fn set_now_ms(&self, now: Millis) {
        let real = i64::try_from(system_ms()).unwrap_or(i64::MAX);
        self.set_offset_ms(i64::try_from(now).unwrap_or(i64::MAX).saturating_sub(real));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_now_both_ways() {
        let c = Clock::default();
        let before = system_ms();
        c.set_offset_ms(3_600_000);
        assert!(c.now_ms() >= before + 3_600_000);
        c.set_offset_ms(-60_000);
        assert!(c.now_ms() < system_ms());
        c.set_now_ms(before + 86_400_000);
        let d = c.now_ms() - (before + 86_400_000);
        assert!(d < 5_000, "{d}");
    }
}
