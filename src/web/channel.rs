//! The pipe between tabs: BroadcastChannel, or where it is missing, the
//! `storage` event. Storage is readable by any script on the origin, so
//! nothing written there carries a token: token-bearing messages go as
//! notices without it, and the receiving tabs refresh for themselves.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, Storage};

use super::global::{get, global};
use super::handles::Listener;
use crate::core::Envelope;

#[must_use = "the channel closes when dropped"]
pub(crate) struct Channel {
    broadcast: Option<BroadcastChannel>,
    storage: Option<Storage>,
    key: String,
    /// Writes so far: each value ends with the count, so every write is a change.
    sent: u32,
    _listeners: Vec<Listener>,
}

impl Channel {
    /// `deliver` gets every message text from other tabs ("" for non-text data,
    /// which the engine counts as malformed). `None` where neither pipe exists.
    pub(crate) fn open(name: &str, deliver: impl Fn(&str) + 'static) -> Option<Channel> {
        let deliver = Rc::new(deliver);
        let text = |e: &JsValue, field: &str| get(e, field).and_then(|v| v.as_string());
        let window = global();
        let mut listeners = Vec::new();
        let broadcast = BroadcastChannel::new(name).ok();
        if let Some(bc) = &broadcast {
            let deliver = deliver.clone();
            listeners.push(super::handles::listen(bc, "message", false, move |e| {
                deliver(&text(&e, "data").unwrap_or_default())
            }));
        }
        let storage: Option<Storage> =
            get(&window, "localStorage").filter(|s| !s.is_null()).map(JsCast::unchecked_into);
        let key = String::from(name);
        if storage.is_some() {
            let watched = key.clone();
            listeners.push(super::handles::listen(&window, "storage", false, move |e| {
                if text(&e, "key").as_deref() == Some(watched.as_str()) {
                    if let Some(v) = text(&e, "newValue") {
                        // The value is "<message>\n<counter>".
                        let end = v.bytes().rposition(|b| b == b'\n').unwrap_or(0);
                        deliver(v.get(..end).unwrap_or_default());
                    }
                }
            }));
        }
        if broadcast.is_none() && storage.is_none() {
            return None;
        }
        Some(Channel { broadcast, storage, key, sent: 0, _listeners: listeners })
    }

    /// Sends to the other tabs: over BroadcastChannel, or without any token
    /// over storage where it is missing.
    pub(crate) fn post(&mut self, envelope: Envelope) {
        match &self.broadcast {
            Some(bc) => {
                let _ = bc.post_message(&JsValue::from_str(&envelope.encode()));
            }
            None => self.write(envelope),
        }
    }

    fn write(&mut self, envelope: Envelope) {
        let (Some(storage), Some(notice)) = (&self.storage, envelope.without_token()) else { return };
        self.sent = self.sent.wrapping_add(1);
        let mut value = notice.encode();
        value.push('\n');
        crate::core::digits::push_u64(&mut value, u64::from(self.sent));
        let _ = storage.set_item(&self.key, &value);
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Some(bc) = &self.broadcast {
            bc.close();
        }
    }
}
