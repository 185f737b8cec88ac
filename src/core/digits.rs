//! Decimal digits without `core::fmt`: formatting and parsing integers through
//! it costs kilobytes of wasm, and every message, error and id needs them.

use alloc::string::String;

/// Appends the decimal digits of `n` (no `core::fmt`: it costs kilobytes in
/// the wasm; no indexing either: a bounds check's panic message formats numbers).
pub(crate) fn push_u64(s: &mut String, n: u64) {
    if n >= 10 {
        push_u64(s, n / 10);
    }
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// A decimal number of one or more ASCII digits that fits in a `u64`.
pub(crate) fn number(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    // Overflow checked by comparison: checked_mul needs a 128-bit multiply on wasm32.
    const LIMIT: u64 = u64::MAX / 10;
    text.bytes().try_fold(0u64, |n, b| {
        let digit = u64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        if n > LIMIT || (n == LIMIT && digit > u64::MAX % 10) {
            return None;
        }
        Some(n * 10 + digit)
    })
}
