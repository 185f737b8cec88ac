//! The page's globals, reached through `globalThis` and property reads: one
//! generic `Reflect.get` instead of a web-sys import (and its JS shim) for
//! every object and getter.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global object, for its own `globalThis` property: read at each
    /// call, not cached in a lazily set thread-local (whose code and panic
    /// path cost more than the import).
    #[wasm_bindgen(js_name = globalThis)]
    type GlobalThis;
    #[wasm_bindgen(static_method_of = GlobalThis, getter, js_name = globalThis)]
    fn itself() -> JsValue;
}

/// `globalThis`: the window in a page.
pub(crate) fn global() -> JsValue {
    GlobalThis::itself()
}

/// `target[key]`, or `None` when it is `undefined` or the read throws (a
/// getter such as `localStorage` throws where storage is blocked).
pub(crate) fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined())
}

/// `target[key] = value`; a frozen or exotic target is not our concern.
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// A plain object with the given entries.
pub(crate) fn object(entries: &[(&str, &JsValue)]) -> JsValue {
    let o: JsValue = Object::new().into();
    for (k, v) in entries {
        set(&o, k, v);
    }
    o
}
