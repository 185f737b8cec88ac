//! RAII handles for what the driver holds in the browser: dropping one removes
//! its listener or clears its timer. Timers are gloo-timers'; the listener is
//! our own, in gloo-events' manner (gloo-events is not in the product's stack).

use wasm_bindgen::prelude::*;

use super::global::object;

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

/// An event listener that is removed when dropped.
#[must_use = "the listener is removed when this is dropped"]
pub(crate) struct Listener {
    target: Target,
    name: JsValue,
    capture: bool,
    callback: Callback,
}

/// The one closure type the driver hands to JavaScript (besides the lock
/// callback): each distinct closure signature costs an exported shim and a JS
/// wrapper.
pub(crate) type Callback = Closure<dyn FnMut(JsValue)>;

impl Listener {
    /// Listens passively (never delays scrolling); `capture` also sees events
    /// that do not bubble, such as `focus` on an input.
    pub(crate) fn new(target: &JsValue, name: &str, capture: bool, f: impl FnMut(JsValue) + 'static) -> Listener {
        let target: Target = target.clone().into();
        let callback = Callback::new(f);
        let options = object(&[("passive", &JsValue::TRUE), ("capture", &JsValue::from_bool(capture))]);
        // Adding a listener cannot fail for a valid target; nothing to report if it did.
        let name = JsValue::from_str(name);
        let _ = target.listen(&name, callback.as_ref(), &options);
        Listener { target, name, capture, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.unlisten(&self.name, self.callback.as_ref(), self.capture);
    }
}

/// A one-shot gloo timer `ms` from now, cleared when dropped. Browsers fire at
/// once for delays over 2^31-1 ms (and gloo passes the delay as an `i32`), so
/// longer ones are clamped to that maximum: the engine re-arms when it fires.
pub(crate) fn timeout(ms: f64, f: impl FnOnce() + 'static) -> gloo_timers::callback::Timeout {
    // `as` saturates and maps NaN to 0: no panic possible.
    gloo_timers::callback::Timeout::new(ms.clamp(0.0, 2_147_483_647.0) as u32, f)
}
