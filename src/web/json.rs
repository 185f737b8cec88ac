//! JSON text for event details and the `state` snapshot: one `JSON.parse`
//! instead of a property write (and a key string crossing into JS) per field.

use js_sys::{Object, JSON};
use wasm_bindgen::prelude::*;

use crate::core::message::push_u64;
use crate::core::Time;

/// A JSON object under construction; values are ours (names, numbers, fixed
/// messages), never the token.
pub(crate) struct JsonObject(String);

impl JsonObject {
    pub(crate) fn new() -> JsonObject {
        JsonObject(String::from("{"))
    }

    fn key(&mut self, k: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(k);
        self.0.push_str("\":");
        &mut self.0
    }

    pub(crate) fn bool(&mut self, k: &str, v: bool) -> &mut JsonObject {
        self.key(k).push_str(if v { "true" } else { "false" });
        self
    }

    /// A whole number, or `null`. Exact in JS up to 2^53 (times and durations are far below).
    pub(crate) fn num(&mut self, k: &str, v: Option<u64>) -> &mut JsonObject {
        let s = self.key(k);
        match v {
            Some(n) => push_u64(s, n),
            None => s.push_str("null"),
        }
        self
    }

    pub(crate) fn time(&mut self, k: &str, v: Option<Time>) -> &mut JsonObject {
        self.num(k, v.map(|t| t.0))
    }

    pub(crate) fn str(&mut self, k: &str, v: &str) -> &mut JsonObject {
        // Only `"` and `\` are escaped: the values are fixed names and messages.
        debug_assert!(!v.chars().any(char::is_control), "unescaped control character in {v:?}");
        let s = self.key(k);
        s.push('"');
        for c in v.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        self
    }

    pub(crate) fn into_js(mut self) -> JsValue {
        self.0.push('}');
        JSON::parse(&self.0).unwrap_or_else(|_| Object::new().into())
    }
}
