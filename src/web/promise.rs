//! Promises without futures. `Deferred`: a promise whose settling Rust
//! decides: `getAccessToken()` (answered when the engine says so), a held Web
//! Lock (released on drop), and the promises `login()` and `fetch()` return.
//! `when_settled`: the one way this crate waits on a promise.
//!
//! Not wasm-bindgen-futures: its executor (task queue, wakers, `JsFuture`) and
//! an async state machine per flow were 14.6 KB raw of the optimised module (6.5
//! KB executor, 8.1 KB state machines) for five flows of one or two steps each
//! (an SDK request, an app callback, a lock request's end, `login()`,
//! `fetch()`). Written as continuations on `when_settled`, the package is
//! 3 041 B gzip smaller (44 675 -> 41 634 B), and the constructor no longer
//! runs the executor's setup (each lock request spawned a task).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A callback of `when_settled` (and `Deferred`'s executor), of the very type
/// gloo-events gives its listeners (`&Event`; the value, any value, is read
/// as a `JsValue`): one closure type in the module instead of two, so one
/// invoke shim and one wrapper in the glue (-83 B gzip of the package).
type Callback = Closure<dyn FnMut(&web_sys::Event)>;

/// The settling side of a promise handed to JavaScript: its `resolve`
/// function (a rejection resolves it with a rejected promise, which it then
/// follows). Dropped unsettled, it rejects: a path that forgets to answer
/// must not leave the app awaiting forever.
#[must_use = "the promise rejects when this is dropped unsettled"]
pub(crate) struct Deferred {
    resolve: Option<Function>,
}

#[wasm_bindgen]
extern "C" {
    /// `new Promise(executor)`, for an executor of the one closure type that
    /// keeps only `resolve` (js-sys' takes a stack closure of two arguments,
    /// another closure type with shims of its own: -144 B gzip).
    #[wasm_bindgen(js_name = Promise)]
    type Executed;
    #[wasm_bindgen(constructor, js_class = "Promise")]
    fn new(executor: &JsValue) -> Executed;
}

impl Deferred {
    /// A pending promise and the means to settle it.
    pub(crate) fn new() -> (Promise, Deferred) {
        let resolve = Rc::new(Cell::new(None));
        let slot = resolve.clone();
        let executor: Callback =
            Closure::new(move |f: &web_sys::Event| slot.set(Some(f.unchecked_ref::<Function>().clone())));
        // The executor runs synchronously: `resolve` is filled before this returns.
        let promise = Executed::new(executor.as_ref()).unchecked_into();
        let resolve = resolve.take();
        (promise, Deferred { resolve })
    }

    pub(crate) fn resolve(self, value: &JsValue) {
        self.settle(Ok(value.clone()));
    }

    /// Fulfils with `Ok`, rejects with `Err`.
    pub(crate) fn settle(mut self, outcome: Result<JsValue, JsValue>) {
        if let Some(resolve) = self.resolve.take() {
            answer(&resolve, outcome);
        }
    }
}

/// `resolve(value)`, or `resolve(Promise.reject(reason))`.
fn answer(resolve: &Function, outcome: Result<JsValue, JsValue>) {
    let value = match outcome {
        Ok(v) => v,
        Err(e) => Promise::reject(&e).into(),
    };
    let _ = resolve.call1(&JsValue::UNDEFINED, &value);
}

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some(resolve) = self.resolve.take() {
            let reason: JsValue =
                JsError::new("keep-session-alive: the operation ended without an answer (was the keeper freed?)")
                    .into();
            answer(&resolve, Err(reason));
        }
    }
}

/// What runs once a step is done, with its outcome (for a promise: `Ok(value)`
/// or `Err(reason)`).
pub(crate) type Then<T> = Box<dyn FnOnce(T)>;

/// The continuation and the two callbacks given to `then`, until one runs.
type Waiting = Rc<RefCell<Option<(Then<Result<JsValue, JsValue>>, [Callback; 2])>>>;

#[wasm_bindgen]
extern "C" {
    /// A promise, for `then` with callbacks of that type (js-sys' `then2`
    /// takes `Closure<dyn FnMut(JsValue)>`).
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_both(this: &Thenable, on_fulfilled: &JsValue, on_rejected: &JsValue);
}

/// Runs `then` once, when `promise` settles. Whichever callback runs first
/// takes `then` and frees both (wasm-bindgen frees a closure only once the
/// calls into it have returned). A promise that never settles keeps them.
pub(crate) fn when_settled(promise: &Promise, then: Then<Result<JsValue, JsValue>>) {
    let waiting: Waiting = Rc::new(RefCell::new(None));
    let callbacks = [on(&waiting, true), on(&waiting, false)];
    promise.unchecked_ref::<Thenable>().then_both(callbacks[0].as_ref(), callbacks[1].as_ref());
    // Nothing else borrows it yet: the callbacks run in a later microtask.
    let slot = waiting.try_borrow_mut();
    if let Ok(mut w) = slot {
        *w = Some((then, callbacks));
    }
}

/// One callback of `when_settled`: one closure type for both, so the module
/// holds one copy of its code.
fn on(waiting: &Waiting, fulfilled: bool) -> Callback {
    let waiting = waiting.clone();
    Closure::new(move |value: &web_sys::Event| {
        let taken = waiting.try_borrow_mut().ok().and_then(|mut w| w.take());
        if let Some((then, callbacks)) = taken {
            let value = JsValue::from(value.clone());
            then(if fulfilled { Ok(value) } else { Err(value) });
            drop(callbacks);
        }
    })
}
