//! RAII handles for what the driver holds in the browser: dropping one removes
//! its listener or clears its timer: gloo-events' `EventListener` and
//! gloo-timers' `Timeout`. (gloo-events measured 82 B gzip smaller than the
//! hand-written listener it replaced.)

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// An `EventTarget`: window, document, or the keeper's own (the methods are
    /// called structurally, so any object with them will do).
    #[wasm_bindgen(js_name = EventTarget)]
    #[derive(Clone)]
    pub(crate) type Target;
    #[wasm_bindgen(catch, constructor, js_class = "EventTarget")]
    pub(crate) fn new() -> Result<Target, JsValue>;
    #[wasm_bindgen(catch, method, js_name = dispatchEvent)]
    pub(crate) fn dispatch(this: &Target, event: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, method, js_name = addEventListener)]
    pub(crate) fn listen(this: &Target, name: &JsValue, callback: &JsValue, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, method, js_name = removeEventListener)]
    pub(crate) fn unlisten(this: &Target, name: &JsValue, callback: &JsValue, capture: bool) -> Result<(), JsValue>;
}

/// An event listener that is removed when dropped (gloo-events' handle).
pub(crate) type Listener = gloo_events::EventListener;

/// Listens passively; `capture` also sees events that do not bubble.
pub(crate) fn listen(target: &JsValue, name: &str, capture: bool, f: impl FnMut(&JsValue) + 'static) -> Listener {
    listen_boxed(target, name, capture, Box::new(f))
}

/// `listen` past the one generic step: gloo's listener, and the closure it
/// makes, exist once in the module, not once per kind of callback (with
/// `timeout_boxed`: -266 B gzip of the package).
fn listen_boxed(target: &JsValue, name: &str, capture: bool, mut f: Box<dyn FnMut(&JsValue)>) -> Listener {
    use gloo_events::{EventListenerOptions, EventListenerPhase};
    let target: &web_sys::EventTarget = target.unchecked_ref();
    let phase = if capture { EventListenerPhase::Capture } else { EventListenerPhase::Bubble };
    let options = EventListenerOptions { phase, passive: true };
    gloo_events::EventListener::new_with_options(target, String::from(name), options, move |e| f(e))
}

/// A one-shot gloo timer `ms` from now, cleared when dropped. Browsers fire at
/// once for delays over 2^31-1 ms (and gloo passes the delay as an `i32`), so
/// longer ones are clamped to that maximum: the engine re-arms when it fires.
pub(crate) fn timeout(ms: f64, f: impl FnOnce() + 'static) -> gloo_timers::callback::Timeout {
    timeout_boxed(ms, Box::new(f))
}

/// `timeout` past the one generic step, as for `listen_boxed`.
fn timeout_boxed(ms: f64, f: Box<dyn FnOnce()>) -> gloo_timers::callback::Timeout {
    // `as` saturates and maps NaN to 0: no panic possible.
    gloo_timers::callback::Timeout::new(ms.clamp(0.0, 2_147_483_647.0) as u32, f)
}
