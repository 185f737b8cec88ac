//! Promises without an async runtime: a continuation for a promise's outcome,
//! and a promise whose settling Rust decides. wasm-bindgen-futures' executor,
//! task queue and wakers, and the async state machines on top, cost ~8 KB of
//! wasm (4 KB gzipped) for what a few callbacks do here.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::handles::Callback;

#[wasm_bindgen]
extern "C" {
    /// A promise seen only for its two-callback `then` (js-sys' `then2` is generic over its closures).
    type Thenable;
    /// `catch`: what a replaced `fetch()` returns need not be a promise.
    #[wasm_bindgen(catch, method, js_name = then)]
    fn then2(this: &Thenable, fulfilled: &Callback, rejected: &Callback) -> Result<JsValue, JsValue>;
}

/// What runs once a promise settles: `Ok(value)` or `Err(reason)`.
pub(crate) type Settled = Box<dyn FnOnce(Result<JsValue, JsValue>)>;

/// Calls `then` exactly once with the outcome of `promise`. Both JS callbacks
/// are freed when it settles (the first to run takes everything, which breaks
/// the cycle between them and this state); a promise that never settles keeps
/// them, as any pending `.then` does.
pub(crate) fn on_settled(promise: &Promise, then: Settled) {
    type State = Rc<RefCell<Option<(Settled, Callback, Callback)>>>;
    let state: State = Rc::new(RefCell::new(None));
    let callback = |fulfilled: bool| {
        let state = state.clone();
        Callback::new(move |v| {
            let taken = state.try_borrow_mut().ok().and_then(|mut s| s.take());
            if let Some((then, _fulfilled, _rejected)) = taken {
                then(if fulfilled { Ok(v) } else { Err(v) });
            }
        })
    };
    let (fulfilled, rejected) = (callback(true), callback(false));
    if let Err(e) = promise.unchecked_ref::<Thenable>().then2(&fulfilled, &rejected) {
        return then(Err(e));
    }
    // Reactions run as microtasks, so neither callback can run before this.
    // (The `;` ends the borrow before `state` goes out of scope.)
    if let Ok(mut s) = state.try_borrow_mut() {
        *s = Some((then, fulfilled, rejected));
    };
}

/// The settling side of a promise handed to JavaScript. Dropped unsettled, it
/// rejects: a path that forgets to answer must not leave the app awaiting forever.
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

    pub(crate) fn reject(mut self, reason: &JsValue) {
        if let Some((_, reject)) = self.settle.take() {
            let _ = reject.call1(&JsValue::UNDEFINED, reason);
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
