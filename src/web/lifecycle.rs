//! The page's life as the engine hears it: the user's activity (listeners
//! attached only between samples, at the engine's word), online and offline,
//! hiding, showing and resuming, and leaving for the back/forward cache.

use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use super::driver::{with, Driver};
use super::global::{get, global};
use super::handles::{listen, timeout, Listener};
use crate::core::Input;

impl Driver {
    /// The page's lifecycle listeners, each mapping its event to an input
    /// (or to none for this occurrence); held until dispose.
    pub(super) fn listen_to_the_page(self: &Rc<Self>) -> Vec<Listener> {
        let weak = Rc::downgrade(self);
        let window = global();
        let on = |target: &JsValue, name: &str, input: fn(&JsValue) -> Option<Input>| {
            let weak = weak.clone();
            listen(target, name, false, move |e| {
                if let Some(input) = input(e) {
                    with(&weak, |d| d.handle(input));
                }
            })
        };
        let mut listeners = vec![
            on(&window, "online", |_| Some(Input::Online(true))),
            on(&window, "offline", |_| Some(Input::Online(false))),
            // Closing or entering the back/forward cache: peers drop this tab's holds
            // now. Should the browser drop these last words (Firefox sometimes does,
            // for a closing tab), the others learn from the locks it frees (this
            // tab's lock of life, the leader lock).
            on(&window, "pagehide", |_| Some(Input::PageHide)),
            leaving(&weak, &window),
            showing(&weak, &window),
        ];
        if let Some(document) = get(&window, "document") {
            // Only becoming visible is a resume: the `visibilitychange` to hidden
            // that follows `pagehide` must not announce this tab's holds again.
            listeners.push(on(&document, "visibilitychange", |e| {
                let state = get(e, "target").and_then(|d| get(&d, "visibilityState")).and_then(|v| v.as_string());
                (state.as_deref() != Some("hidden")).then_some(Input::Resumed)
            }));
            listeners.push(on(&document, "resume", |_| Some(Input::Resumed)));
        }
        listeners
    }

    /// `Command::Listen`: attaches the activity listeners (capture, passive),
    /// or detaches them until the next sample.
    pub(super) fn listen_for_activity(self: &Rc<Self>, on: bool) {
        let listeners = if on {
            let window = global();
            let listen_to = |name: &String| {
                let weak = Rc::downgrade(self);
                listen(&window, name, true, move |_| with(&weak, |d| d.handle(Input::Activity)))
            };
            self.config.activity_events.iter().map(listen_to).collect()
        } else {
            Vec::new()
        };
        // Attached before the borrow, the old ones removed after it: an
        // `addEventListener` the page patched may call the keeper.
        let old = self.handles().map(|mut h| std::mem::replace(&mut h.activity, listeners));
        drop(old);
    }

    /// After `leaving`, when the page shows again (or stayed): it queues for the
    /// leader lock and the refresh lock it had let go, and takes its lock of life
    /// again (its holds are announced again on `Resumed`, and the others watch it anew).
    fn come_back(self: &Rc<Self>) {
        let Some(mut h) = self.handles() else { return };
        if h.comeback.take().is_none() {
            return;
        }
        let refresh_wanted = std::mem::take(&mut h.refresh_wanted);
        drop(h);
        self.take_tab_locks();
        if refresh_wanted {
            self.request_refresh_lock(false);
        }
    }
}

/// `beforeunload`: the page may be on its way into the back/forward cache,
/// which Firefox refuses to a page that holds or awaits a Web Lock (and by
/// `pagehide` it has decided). The locks are let go now, and the other tabs
/// told that this tab's holds end (`pagehide` comes too late for Firefox to
/// deliver that message every time). The page takes them up again when it
/// shows, or after a second if the navigation was called off.
fn leaving(weak: &Weak<Driver>, window: &JsValue) -> Listener {
    let weak = weak.clone();
    listen(window, "beforeunload", false, move |_| {
        with(&weak, |d| {
            d.handle(Input::PageHide);
            let back = Rc::downgrade(d);
            let comeback = timeout(1_000.0, move || {
                with(&back, |d| {
                    d.come_back();
                    d.handle(Input::Resumed);
                })
            });
            d.let_locks_go(comeback);
        });
    })
}

/// `pageshow`: the locks let go on `leaving` are taken up again; back from
/// the back/forward cache (`persisted`), what was missed is checked.
fn showing(weak: &Weak<Driver>, window: &JsValue) -> Listener {
    let weak = weak.clone();
    listen(window, "pageshow", false, move |e| {
        let persisted = get(e, "persisted").and_then(|p| p.as_bool()) == Some(true);
        with(&weak, |d| {
            d.come_back();
            d.handle(if persisted { Input::Restored } else { Input::Resumed });
        });
    })
}
