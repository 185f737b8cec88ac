//! The pipe between tabs: BroadcastChannel, or where it is missing, the
//! `storage` event. Storage is readable by any script on the origin, so the
//! fallback never writes a token: token-bearing messages go as notices without
//! it, and the receiving tabs refresh for themselves.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, Storage};

use super::global::{get, global};
use super::handles::Listener;
use crate::core::Envelope;

#[must_use = "the channel closes when dropped"]
pub(crate) enum Channel {
    Broadcast { channel: BroadcastChannel, _listener: Listener },
    Storage { storage: Storage, key: String, sent: u32, _listener: Listener },
}

impl Channel {
    /// `deliver` gets every message text from other tabs ("" for non-text data,
    /// which the engine counts as malformed).
    pub(crate) fn open(name: &str, deliver: impl Fn(String) + 'static) -> Option<Channel> {
        let text = |e: &JsValue, field: &str| get(e, field).and_then(|v| v.as_string());
        if let Ok(bc) = BroadcastChannel::new(name) {
            let listener =
                super::handles::listen(&bc, "message", false, move |e| deliver(text(e, "data").unwrap_or_default()));
            return Some(Channel::Broadcast { channel: bc, _listener: listener });
        }
        let window = global();
        let storage: Storage = get(&window, "localStorage").filter(|s| !s.is_null())?.unchecked_into();
        let key = String::from(name);
        let watched = key.clone();
        let listener = super::handles::listen(&window, "storage", false, move |e| {
            if text(e, "key").as_deref() == Some(watched.as_str()) {
                if let Some(v) = text(e, "newValue") {
                    // The value is "<message>\n<counter>": the counter makes every write a change.
                    let end = v.bytes().rposition(|b| b == b'\n').unwrap_or(0);
                    deliver(String::from(v.get(..end).unwrap_or_default()));
                }
            }
        });
        Some(Channel::Storage { storage, key, sent: 0, _listener: listener })
    }

    pub(crate) fn post(&mut self, envelope: Envelope) {
        match self {
            Channel::Broadcast { channel, .. } => {
                let _ = channel.post_message(&JsValue::from_str(&envelope.encode()));
            }
            Channel::Storage { storage, key, sent, .. } => {
                let Some(notice) = envelope.without_token() else { return };
                *sent = sent.wrapping_add(1);
                let mut value = notice.encode();
                value.push('\n');
                crate::core::digits::push_u64(&mut value, u64::from(*sent));
                let _ = storage.set_item(key, &value);
            }
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Channel::Broadcast { channel, .. } = self {
            channel.close();
        }
    }
}
