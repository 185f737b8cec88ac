//! The app's own callbacks as the transport of the heartbeat, the refresh and
//! the logout (the `keepalive`, `refresh` and `logout` options): an OpenID
//! Connect client library as the token source, or any call the app makes
//! itself. What they return is untrusted: it is checked and mapped onto the
//! same results as a request's, so the engine cannot tell the difference.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::handles::timeout;
use super::js_values::token_from;
use super::promise::{when_settled, Then};
use crate::core::{Failure, HeartbeatResult, RefreshResult};

/// Calls `f` with no arguments and gives `then` what it returns (a promise,
/// or a plain value) once settled, waiting at most `timeout_ms`:
/// `Err(Rejected)` when it throws or rejects, `Err(Timeout)` when it has not
/// settled by then. Whichever comes first, the outcome or the timer, takes
/// `then` (not `Promise.race`: three imports more). A callback that never
/// settles keeps its continuation, as any promise `when_settled` waits on.
pub(crate) fn call(f: &Function, timeout_ms: u64, then: Then<Result<JsValue, Failure>>) {
    let returned = match f.call0(&JsValue::UNDEFINED) {
        Ok(v) => v,
        Err(_) => return then(Err(Failure::Rejected)),
    };
    let first = Rc::new(Cell::new(Some(then)));
    let late = first.clone();
    let deadline = timeout(timeout_ms as f64, move || {
        if let Some(then) = late.take() {
            then(Err(Failure::Timeout));
        }
    });
    // A thenable whose `then` throws becomes a rejected promise, not a throw.
    when_settled(
        &Promise::resolve(&returned),
        Box::new(move |outcome| {
            // Cleared now if the callback won.
            drop(deadline);
            if let Some(then) = first.take() {
                then(outcome.map_err(|_| Failure::Rejected));
            }
        }),
    );
}

/// `refresh`: `{accessToken, expiresIn}` (or the OAuth field names) is a new
/// token; `null` means the session is over; `'elsewhere'` that this tab's
/// token source cannot refresh (another tab is asked); anything else is malformed.
pub(crate) fn refresh_result(outcome: Result<JsValue, Failure>) -> RefreshResult {
    match outcome {
        Ok(v) if v.is_null() => RefreshResult::Rejected,
        Ok(v) if v.as_string().as_deref() == Some("elsewhere") => RefreshResult::Elsewhere,
        Ok(v) => match token_from(&v) {
            Some((token, expires_in_ms)) => RefreshResult::Ok { token, expires_in_ms },
            None => RefreshResult::Failed(Failure::Malformed),
        },
        Err(f) => RefreshResult::Failed(f),
    }
}

/// `keepalive`: `true` or nothing touched the session; `false` means it is
/// over; anything else is malformed.
pub(crate) fn heartbeat_result(outcome: Result<JsValue, Failure>) -> HeartbeatResult {
    match outcome {
        Ok(v) if v.is_undefined() || v.as_bool() == Some(true) => HeartbeatResult::Ok,
        Ok(v) if v.as_bool() == Some(false) => HeartbeatResult::Rejected,
        Ok(_) => HeartbeatResult::Failed(Failure::Malformed),
        Err(f) => HeartbeatResult::Failed(f),
    }
}
