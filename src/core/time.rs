//! Time as the engine sees it: milliseconds on the driver's wall clock.
//!
//! The engine never reads a clock; the driver passes `Date.now()` in. Wall-clock
//! milliseconds (not `performance.now()`) because tabs compare absolute expiries
//! they send each other, and because the wall clock keeps running while a laptop
//! sleeps, which is exactly what the engine must notice.

/// A point in time, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Time {
    /// The time `ms` milliseconds later, saturating instead of overflowing.
    pub fn after(self, ms: u64) -> Time {
        Time(self.0.saturating_add(ms))
    }

    /// The time `ms` milliseconds earlier, saturating at the epoch.
    pub fn before(self, ms: u64) -> Time {
        Time(self.0.saturating_sub(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Converts a JavaScript timestamp (`Date.now()`), clamping NaN and negatives to 0.
    pub fn from_js(ms: f64) -> Time {
        // `as` saturates for out-of-range floats and maps NaN to 0: no panic possible.
        Time(ms as u64)
    }
}
