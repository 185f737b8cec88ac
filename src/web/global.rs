//! The page's globals, reached through `globalThis` and property reads: one
//! generic `Reflect.get` instead of a web-sys import (and its JS shim) for
//! every object and getter.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The global object, for its own `globalThis` property: read at each
    /// call, not cached in a lazily set thread-local (whose code and panic
    /// path cost more than the import).
    #[wasm_bindgen(js_name = globalThis)]
    type GlobalThis;
    #[wasm_bindgen(static_method_of = GlobalThis, getter, js_name = globalThis)]
    fn itself() -> JsValue;

    /// An object whose properties are written by name.
    type Props;
    #[wasm_bindgen(method, structural, indexing_setter)]
    fn set(this: &Props, key: &str, value: &JsValue);
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

/// `target[key] = value`, on a plain object of ours (no setter runs, nothing
/// throws): a plain property write, not `Reflect.set`, and the key passed as
/// a string, not made into a JS value first.
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    target.unchecked_ref::<Props>().set(key, value);
}

/// A plain object with the given entries.
pub(crate) fn object(entries: &[(&str, &JsValue)]) -> JsValue {
    let o: JsValue = Object::new().into();
    for (k, v) in entries {
        set(&o, k, v);
    }
    o
}
