//! A promise whose settling Rust decides, for the two places where JavaScript
//! waits on the engine rather than on a future: `getAccessToken()` (answered
//! when the engine says so) and a held Web Lock (released on drop).
//! wasm-bindgen-futures turns futures into promises and back, but has no such
//! "resolve it later from outside" handle.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

/// The settling side of a promise handed to JavaScript. Dropped unsettled, it
/// rejects: a path that forgets to answer must not leave the app awaiting forever.
#[must_use = "the promise rejects when this is dropped unsettled"]
pub(crate) struct Deferred {
    settle: Option<(Function, Function)>,
}

impl Deferred {
    /// A pending promise and the means to settle it.
    pub(crate) fn new() -> (Promise, Deferred) {
        let mut d = Deferred { settle: None };
        // The executor runs synchronously: `settle` is filled before this returns.
        let promise = Promise::new(&mut |resolve, reject| d.settle = Some((resolve, reject)));
        (promise, d)
    }

    pub(crate) fn resolve(mut self, value: &JsValue) {
        if let Some((resolve, _)) = self.settle.take() {
            let _ = resolve.call1(&JsValue::UNDEFINED, value);
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some((_, reject)) = self.settle.take() {
            let reason: JsValue =
                JsError::new("keep-session-alive: the operation ended without an answer (was the keeper freed?)")
                    .into();
            let _ = reject.call1(&JsValue::UNDEFINED, &reason);
        }
    }
}
