//! The Web Locks the tabs share, named `<channelName>:<what>`: the leader
//! lock (held for the tab's life; the leader pings), the refresh lock (held
//! while one refresh is under way), and each tab's lock of life, which the
//! tabs that heard of its holds queue for, so they learn when it is gone even
//! if its last words are lost. Where the browser has no Web Locks, or refuses
//! a request, the engine is told (`LocksUnavailable`) and elects and
//! serializes over the channel instead (the engine's claims).

use std::rc::Rc;

use gloo_timers::callback::Timeout;

use super::driver::{with, Driver};
use super::handles::timeout;
use super::locks::LockRequest;
use crate::core::Input;

/// How long a tab holds the refresh lock after its refresh: far longer
/// than a message between tabs takes, far shorter than any wait for a token.
const HANDOFF_MS: f64 = 200.0;

impl Driver {
    /// Requests (or, with `steal`, takes over) the lock `<channelName>:<what>`;
    /// `granted` is fed to the engine when it is ours, `lost` runs if another
    /// tab takes it over. A refused request tells the engine that this tab has
    /// no Web Locks. `None` where the browser has none.
    fn request_lock(
        self: &Rc<Self>,
        what: &str,
        steal: bool,
        granted: fn() -> Input,
        lost: fn(&Rc<Driver>),
    ) -> Option<LockRequest> {
        let (on_granted, on_denied, on_lost) = (Rc::downgrade(self), Rc::downgrade(self), Rc::downgrade(self));
        Some(LockRequest::new(
            self.locks.as_ref()?,
            &self.lock_name(what),
            steal,
            Box::new(move || with(&on_granted, |d| d.handle(granted()))),
            Box::new(move || with(&on_denied, |d| d.handle(Input::LocksUnavailable))),
            Box::new(move || with(&on_lost, lost)),
        ))
    }

    /// `<channelName>:<what>`.
    fn lock_name(&self, what: &str) -> String {
        let mut name = self.config.channel_name.clone();
        name.push(':');
        name.push_str(what);
        name
    }

    /// Tab `tab`'s lock of life, `<channelName>:tab:<id>`: requested by the
    /// tab itself, which holds it until the page goes away, and by the tabs
    /// that watch it (`on_granted`: it is gone). `None` without Web Locks.
    fn request_life_lock(&self, tab: u64, on_granted: Box<dyn FnMut()>) -> Option<LockRequest> {
        let mut name = self.lock_name("tab:");
        crate::core::digits::push_u64(&mut name, tab);
        Some(LockRequest::new(self.locks.as_ref()?, &name, false, on_granted, Box::new(|| {}), Box::new(|| {})))
    }

    /// At the start, and back after a navigation was called off or from the
    /// back/forward cache: queues for the leader lock and takes this tab's
    /// lock of life.
    pub(super) fn take_tab_locks(self: &Rc<Self>) {
        let leader = self.request_leader_lock(false);
        let tab = self.engine.try_borrow().map(|e| e.tab());
        let life = tab.ok().and_then(|tab| self.request_life_lock(tab, Box::new(|| {})));
        let old = self
            .handles()
            .map(|mut h| (std::mem::replace(&mut h.leader_lock, leader), std::mem::replace(&mut h.life_lock, life)));
        drop(old);
    }

    /// `beforeunload`: every lock is let go (Firefox keeps no page in its
    /// back/forward cache that holds or awaits one) until `comeback` fires or
    /// the page shows again.
    pub(super) fn let_locks_go(self: &Rc<Self>, comeback: Timeout) {
        let Some(mut h) = self.handles() else { return };
        let held = (h.leader_lock.take(), h.refresh_lock.take(), h.life_lock.take(), std::mem::take(&mut h.watches));
        let handoff = h.handoff.take();
        h.refresh_wanted = held.1.is_some();
        h.comeback = Some(comeback);
        drop(h);
        if held.0.is_some() {
            self.handle(Input::Leadership(false));
        }
        drop((held, handoff));
    }

    /// The leader lock, held for the tab's life; when another tab takes it
    /// over, this tab stops leading and queues for it again.
    fn request_leader_lock(self: &Rc<Self>, steal: bool) -> Option<LockRequest> {
        self.request_lock(
            "leader",
            steal,
            || Input::Leadership(true),
            |d| {
                d.handle(Input::Leadership(false));
                let again = d.request_leader_lock(false);
                // The taken request is dropped once the borrow has ended.
                let taken = d.handles().map(|mut h| std::mem::replace(&mut h.leader_lock, again));
                drop(taken);
            },
        )
    }

    /// `Command::StealLeadership`: the leader let a ping go overdue.
    pub(super) fn steal_leadership(self: &Rc<Self>) {
        let request = self.request_leader_lock(true);
        let old = self.handles().map(|mut h| std::mem::replace(&mut h.leader_lock, request));
        drop(old);
    }

    /// The refresh lock; losing it to a takeover changes nothing here: the
    /// refresh under way finishes and its release is then a no-op. Without
    /// Web Locks the engine serializes by claims and never asks for it.
    pub(super) fn request_refresh_lock(self: &Rc<Self>, steal: bool) {
        match self.request_lock("refresh", steal, || Input::RefreshLockAcquired, |_| {}) {
            Some(r) => {
                // A request replaced here (a takeover) is withdrawn.
                let old = self.handles().and_then(|mut h| h.refresh_lock.replace(r));
                drop(old);
            }
            None => self.handle(Input::RefreshLockAcquired),
        }
    }

    /// Let go a moment after the refresh: the new token's message must
    /// reach the tabs queued for the lock before the lock does, or the next
    /// one would find no token yet and refresh again (with a library whose
    /// cache lags, with a spent refresh token). Both cross the browser
    /// process, in either order.
    pub(super) fn release_refresh_lock(&self) {
        let Some(mut h) = self.handles() else { return };
        if let Some(lock) = h.refresh_lock.take() {
            h.handoff = Some(timeout(HANDOFF_MS, move || drop(lock)));
        }
    }

    /// `Command::WatchTab`: queues for another tab's lock of life, once per tab.
    /// When it is granted, that tab is gone: the engine is told, and the lock let
    /// go at once (a page back from the back/forward cache takes its own again).
    pub(super) fn watch_tab(self: &Rc<Self>, tab: u64) {
        // Not while the page is leaving (a lock awaited then costs Firefox's
        // back/forward cache); the watch is made again at the holder's next renewal.
        let watched = self.handles().map(|h| h.comeback.is_some() || h.watches.iter().any(|(t, _)| *t == tab));
        if watched != Some(false) {
            return;
        }
        let weak = Rc::downgrade(self);
        // Dropping the request from within its own callback is safe: wasm-bindgen
        // frees a closure only once the calls into it have returned.
        let Some(request) = self.request_life_lock(tab, Box::new(move || with(&weak, |d| d.tab_gone(tab)))) else {
            return;
        };
        if let Some(mut h) = self.handles() {
            h.watches.push((tab, request));
        }
    }

    fn tab_gone(self: &Rc<Self>, tab: u64) {
        let watch = self.handles().and_then(|mut h| {
            let at = h.watches.iter().position(|(t, _)| *t == tab)?;
            Some(h.watches.swap_remove(at))
        });
        drop(watch);
        self.handle(Input::TabGone(tab));
    }
}
