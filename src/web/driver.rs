//! The driver and its command loop: it feeds the engine one input at a time,
//! drains every command that input caused and executes it, then re-arms the
//! one timer to the engine's next deadline (str0m's rule: after every
//! mutation, drain before the next).
//!
//! What the driver holds in the browser (listeners, the timer, the channel,
//! the locks) are RAII handles in [`Handles`], so disposing is dropping them.
//! The other concerns sit in files of their own, as methods on [`Driver`]:
//! `lifecycle` (the page's events and activity), `tab_locks` (Web Locks),
//! `requests` (the SDK's own requests and callbacks), `app_fetch` (the app's
//! `fetch()`), `keeper` (the one face the facade uses).
//!
//! Re-entrancy: JavaScript that runs while a command executes (an app's event
//! listener, a patched browser API) may feed the driver another input. The
//! engine takes it at once (no `RefCell` borrow is held while JavaScript that
//! can call the keeper back runs), and the commands it causes queue behind those in
//! hand, in the engine's own first-in first-out queue; the turn under way
//! executes them in order. Nothing is dropped, and no second loop runs inside
//! the first. (A separate queue of inputs, fed one at a time, cost 247 B gzip.)

use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;

use super::channel::Channel;
use super::global::object;
use super::handles::{timeout, Listener, Target};
use super::js_values;
use super::locks::{LockManager, LockRequest};
use super::requests::WebConfig;
use crate::core::{Command, Engine, Event, Input, Operation, Time};

#[wasm_bindgen]
extern "C" {
    type CustomEvent;
    #[wasm_bindgen(catch, constructor)]
    fn new(name: &str, init: &JsValue) -> Result<CustomEvent, JsValue>;
}

/// Someone waiting for a token: `getAccessToken()`'s promise, or `fetch()`
/// about to authorize a request. `None` when there is no valid token.
pub(crate) type TokenWaiter = Box<dyn FnOnce(Option<&str>)>;

pub(crate) struct Driver {
    pub(super) engine: RefCell<Engine>,
    pub(super) config: WebConfig,
    pub(super) events: Target,
    pub(super) locks: Option<LockManager>,
    /// Everything held in the browser; `None` once disposed.
    held: RefCell<Option<Handles>>,
    waiters: RefCell<Vec<TokenWaiter>>,
    /// A turn of the command loop is running.
    busy: Cell<bool>,
}

/// What the driver holds in the browser, each an RAII handle: dropping this
/// removes every listener, clears the timer, closes the channel and releases
/// or withdraws the locks.
#[derive(Default)]
pub(super) struct Handles {
    pub activity: Vec<Listener>,
    pub lifecycle: Vec<Listener>,
    pub timer: Option<Timeout>,
    pub channel: Option<Channel>,
    pub leader_lock: Option<LockRequest>,
    pub refresh_lock: Option<LockRequest>,
    /// The refresh lock just let go of, held until this timer fires.
    pub handoff: Option<Timeout>,
    /// This tab's Web Lock of life, `<channelName>:tab:<id>`: held until the
    /// page goes away, which the browser reports to the tabs queued for it
    /// even when this tab's last words are lost.
    pub life_lock: Option<LockRequest>,
    /// The other holding tabs' locks of life this tab is queued for, by tab id.
    pub watches: Vec<(u64, LockRequest)>,
    /// Set while the locks are let go for a navigation (`beforeunload`): when
    /// the page comes back, or after a second, they are taken up again.
    pub comeback: Option<Timeout>,
    /// The refresh lock was held or awaited when it was let go.
    pub refresh_wanted: bool,
}

pub(crate) fn now() -> Time {
    Time::from_js(js_sys::Date::now())
}

/// Runs `f` on the driver if it still exists and is not disposed: what every
/// browser callback does, since it may outlive the keeper.
pub(crate) fn with(weak: &Weak<Driver>, f: impl FnOnce(&Rc<Driver>)) {
    if let Some(driver) = weak.upgrade().filter(|d| !d.disposed()) {
        f(&driver);
    }
}

impl Driver {
    /// A driver around `engine`; nothing is listened to yet (`Keeper::start`).
    pub(super) fn new(engine: Engine, config: WebConfig, locks: Option<LockManager>) -> Result<Rc<Driver>, JsValue> {
        Ok(Rc::new(Driver {
            engine: RefCell::new(engine),
            config,
            events: Target::new()?,
            locks,
            held: RefCell::new(Some(Handles::default())),
            waiters: RefCell::new(Vec::new()),
            busy: Cell::new(false),
        }))
    }

    /// Feeds one input and executes everything it caused; while a turn is
    /// running, that turn executes it (see the module's re-entrancy rule).
    pub(crate) fn handle(self: &Rc<Self>, input: Input) {
        if self.disposed() {
            return;
        }
        if let Ok(mut engine) = self.engine.try_borrow_mut() {
            engine.handle(now(), input);
        }
        self.turn(false);
    }

    /// Executes what the engine has queued without a new input (its start).
    pub(super) fn drain(self: &Rc<Self>) {
        self.turn(false);
    }

    /// One turn of the loop: the engine's deadlines first if `timer` fired,
    /// then every command the engine has queued, in order; then the timer is
    /// re-armed. Inside a turn, it returns at once: the turn under way drains.
    fn turn(self: &Rc<Self>, timer: bool) {
        if self.busy.replace(true) {
            return;
        }
        if let (true, Ok(mut engine)) = (timer, self.engine.try_borrow_mut()) {
            engine.handle_timeout(now());
        }
        while let Some(command) = self.next_command() {
            self.execute(command);
        }
        self.busy.set(false);
        self.rearm();
    }

    /// The engine's next command, under a short borrow.
    fn next_command(&self) -> Option<Command> {
        self.engine.try_borrow_mut().ok()?.poll_command()
    }

    /// One timer, re-armed to the engine's next deadline after every turn. A
    /// late firing needs no special case: the engine compares deadlines with now.
    fn rearm(self: &Rc<Self>) {
        let at = self.engine.try_borrow().ok().and_then(|e| e.poll_timeout());
        let timer = at.map(|at| {
            let weak = Rc::downgrade(self);
            timeout(at.0 as f64 - js_sys::Date::now(), move || with(&weak, |d| d.turn(true)))
        });
        // The timer it replaces is dropped after the borrow ends.
        let old = self.handles().and_then(|mut h| std::mem::replace(&mut h.timer, timer));
        drop(old);
    }

    fn execute(self: &Rc<Self>, command: Command) {
        match command {
            Command::Listen(on) => self.listen_for_activity(on),
            Command::SendHeartbeat => self.send_heartbeat(),
            Command::SendRefresh => self.send_refresh(),
            Command::CallLogout => self.call_logout(),
            Command::AcquireRefreshLock => self.request_refresh_lock(false),
            Command::StealRefreshLock => self.request_refresh_lock(true),
            Command::ReleaseRefreshLock => self.release_refresh_lock(),
            Command::StealLeadership => self.steal_leadership(),
            Command::WatchTab(tab) => self.watch_tab(tab),
            Command::Broadcast(envelope) => {
                if let Some(channel) = self.handles().as_mut().and_then(|h| h.channel.as_mut()) {
                    channel.post(envelope);
                }
            }
            Command::Emit(event) => self.emit(event),
            Command::ResolveTokenWaiters(token) => self.answer_waiters(token.as_deref()),
        }
    }

    /// Dispatches a `CustomEvent` with the event's detail on the keeper; the
    /// app's listeners run now, and whatever they feed the driver waits.
    fn emit(&self, event: Event) {
        let by_callback = match event {
            Event::Error(Operation::Heartbeat, _) => self.config.keepalive.is_callback(),
            Event::Error(Operation::Refresh, _) => self.config.refresh.is_callback(),
            _ => false,
        };
        let (name, detail) = js_values::event(event, by_callback);
        let init = object(&[("detail", &js_values::to_js(&detail))]);
        if let Ok(e) = CustomEvent::new(name, &init) {
            // A listener that throws is the app's problem; the browser reports it.
            let _ = self.events.dispatch(&e);
        }
    }

    /// Registers someone waiting for a token; the engine answers at once when
    /// a valid token is held, else when the shared refresh settles.
    pub(crate) fn want_token(self: &Rc<Self>, waiter: TokenWaiter) {
        if self.disposed() {
            return waiter(None);
        }
        if let Ok(mut waiters) = self.waiters.try_borrow_mut() {
            waiters.push(waiter);
        }
        self.handle(Input::TokenWanted);
    }

    fn answer_waiters(&self, token: Option<&str>) {
        let waiters = self.waiters.try_borrow_mut().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
        for waiter in waiters {
            waiter(token);
        }
    }

    /// The driver's handles while it is not disposed, under a short borrow.
    pub(super) fn handles(&self) -> Option<RefMut<'_, Handles>> {
        RefMut::filter_map(self.held.try_borrow_mut().ok()?, Option::as_mut).ok()
    }

    /// Whether `dispose()` was called.
    pub(crate) fn disposed(&self) -> bool {
        self.held.try_borrow().is_ok_and(|h| h.is_none())
    }

    /// Drops every handle: listeners, timer, channel, locks. Whoever waits
    /// for a token gets none.
    pub(crate) fn dispose(self: &Rc<Self>) {
        // Holds end with the keeper: tell the other tabs while the channel is
        // open. Called from an event listener, inside a turn: the rest of that
        // turn runs now, since nothing runs after a dispose.
        self.busy.set(false);
        self.handle(Input::PageHide);
        // Dropped after the borrow ends: releasing a lock may call into JavaScript.
        let held = self.held.try_borrow_mut().ok().and_then(|mut h| h.take());
        drop(held);
        self.answer_waiters(None);
    }
}
