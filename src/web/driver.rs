//! The browser driver: feeds the engine with browser inputs and executes its
//! commands. It holds every listener, the one timer, the channel and the locks
//! as RAII handles, so disposing is dropping them.
//!
//! Re-entrancy rule: no `RefCell` borrow is held while calling into JavaScript
//! that can call back synchronously (dispatching an event to the app, or the
//! lock callback): each command is taken under a short borrow and executed
//! after it ends.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::callback;
use super::channel::Channel;
use super::global::{get, global, object};
use super::handles::{timeout, Listener, Target};
use super::http::{self, RequestParams};
use super::js_values;
use super::locks::{lock_manager, LockManager, LockRequest};
use super::promise::{when_settled, Deferred};
use crate::core::{Command, Engine, Event, Input, Operation, Time};

/// Where the heartbeat, the refresh or the logout goes: a POST to the
/// server, or the app's own callback.
pub(crate) enum Endpoint {
    Url(String),
    Callback(js_sys::Function),
}

impl Endpoint {
    /// From the URL option or the callback option (the engine's validation
    /// has already refused both together).
    pub(crate) fn from(url: Option<String>, callback: Option<js_sys::Function>) -> Option<Endpoint> {
        callback.map(Endpoint::Callback).or_else(|| url.map(Endpoint::Url))
    }
}

/// What the driver needs beyond the engine's options.
pub(crate) struct WebConfig {
    pub keepalive: Option<Endpoint>,
    pub refresh: Option<Endpoint>,
    pub logout: Option<Endpoint>,
    pub login_url: Option<String>,
    pub activity_events: Vec<String>,
    pub headers: web_sys::Headers,
    pub request_timeout_ms: u64,
    pub channel_name: String,
}

#[wasm_bindgen]
extern "C" {
    type CustomEvent;
    #[wasm_bindgen(catch, constructor)]
    fn new(name: &str, init: &JsValue) -> Result<CustomEvent, JsValue>;
}

pub(crate) struct Driver {
    engine: Engine,
    config: WebConfig,
    events: Target,
    waiters: Vec<Deferred>,
    locks: Option<LockManager>,
    /// Everything held in the browser; `None` once disposed.
    handles: Option<Handles>,
}

/// What the driver holds in the browser, each an RAII handle: dropping this
/// removes every listener, clears the timer, closes the channel and releases
/// or withdraws the locks.
#[derive(Default)]
struct Handles {
    activity: Vec<Listener>,
    lifecycle: Vec<Listener>,
    timer: Option<Timeout>,
    channel: Option<Channel>,
    leader_lock: Option<LockRequest>,
    refresh_lock: Option<LockRequest>,
    /// This tab's Web Lock of life, `<channelName>:tab:<id>`: held until the
    /// page goes away, which the browser reports to the tabs queued for it
    /// even when this tab's last words are lost.
    life_lock: Option<LockRequest>,
    /// The other holding tabs' locks of life this tab is queued for, by tab id.
    watches: Vec<(u64, LockRequest)>,
    /// Set while the locks are let go for a navigation (`beforeunload`): when
    /// the page comes back, or after a second, they are taken up again.
    comeback: Option<Timeout>,
    /// The refresh lock was held or awaited when it was let go.
    refresh_wanted: bool,
}

pub(crate) type Shared = Rc<RefCell<Driver>>;

pub(crate) fn now() -> Time {
    Time::from_js(js_sys::Date::now())
}

/// Starts a driver: channel, lifecycle listeners, leader election.
pub(crate) fn start(engine: Engine, config: WebConfig) -> Result<Shared, JsValue> {
    let events = Target::new()?;
    let channel_name = config.channel_name.clone();
    let locks = lock_manager();
    let no_locks = locks.is_none();
    let shared = Rc::new(RefCell::new(Driver {
        engine,
        config,
        events,
        waiters: Vec::new(),
        locks,
        handles: Some(Handles::default()),
    }));
    let weak = Rc::downgrade(&shared);
    let w = weak.clone();
    let channel = Channel::open(&channel_name, move |text| with(&w, |s| handle(s, Input::Message(text))));
    let window = global();
    // Each lifecycle event maps to an input, or to none for this occurrence.
    let on = |target: &JsValue, name: &str, input: fn(&JsValue) -> Option<Input<'static>>| {
        let w = weak.clone();
        super::handles::listen(target, name, false, move |e| {
            if let Some(input) = input(&e) {
                with(&w, |s| handle(s, input));
            }
        })
    };
    let mut lifecycle = vec![
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
        lifecycle.push(on(&document, "visibilitychange", |e| {
            let state = get(e, "target").and_then(|d| get(&d, "visibilityState")).and_then(|v| v.as_string());
            (state.as_deref() != Some("hidden")).then_some(Input::Resumed)
        }));
        lifecycle.push(on(&document, "resume", |_| Some(Input::Resumed)));
    }
    let leader = request_leader_lock(&shared, false);
    let life = take_life_lock(&shared);
    let online = get(&window, "navigator").and_then(|n| get(&n, "onLine")).and_then(|v| v.as_bool()).unwrap_or(true);
    if let Some(h) = handles(&shared).as_deref_mut() {
        h.channel = channel;
        h.lifecycle = lifecycle;
        h.leader_lock = leader;
        h.life_lock = life;
    }
    if !online {
        handle(&shared, Input::Online(false));
    }
    // Without Web Locks the tabs elect their leader and serialize their
    // refreshes over the channel.
    if no_locks {
        handle(&shared, Input::LocksUnavailable);
    }
    pump(&shared);
    Ok(shared)
}

/// `beforeunload`: the page may be on its way into the back/forward cache,
/// which Firefox refuses to a page that holds or awaits a Web Lock (and by
/// `pagehide` it has decided). The locks are let go now, and the other tabs
/// told that this tab's holds end (`pagehide` comes too late for Firefox to
/// deliver that message every time). The page takes them up again when it
/// shows, or after a second if the navigation was called off.
fn leaving(weak: &Weak<RefCell<Driver>>, window: &JsValue) -> Listener {
    let weak = weak.clone();
    super::handles::listen(window, "beforeunload", false, move |_| {
        with(&weak, |s| {
            handle(s, Input::PageHide);
            let Some(mut h) = handles(s) else { return };
            let held =
                (h.leader_lock.take(), h.refresh_lock.take(), h.life_lock.take(), std::mem::take(&mut h.watches));
            let back = Rc::downgrade(s);
            h.comeback = Some(timeout(1_000.0, move || {
                with(&back, |s| {
                    come_back(s);
                    handle(s, Input::Resumed);
                })
            }));
            drop(h);
            let (leader, refresh, life, watches) = held;
            if leader.is_some() {
                handle(s, Input::Leadership(false));
            }
            if let Some(h) = handles(s).as_deref_mut() {
                h.refresh_wanted = refresh.is_some();
            }
            drop((leader, refresh, life, watches));
        });
    })
}

/// `pageshow`: the locks let go on `leaving` are taken up again; back from
/// the back/forward cache (`persisted`), what was missed is checked.
fn showing(weak: &Weak<RefCell<Driver>>, window: &JsValue) -> Listener {
    let weak = weak.clone();
    super::handles::listen(window, "pageshow", false, move |e| {
        let persisted = get(&e, "persisted").and_then(|p| p.as_bool()) == Some(true);
        with(&weak, |s| {
            come_back(s);
            handle(s, if persisted { Input::Restored } else { Input::Resumed });
        });
    })
}

/// After `leaving`, when the page shows again (or stayed): it queues for the
/// leader lock and the refresh lock it had let go, and takes its lock of life
/// again (its holds are announced again on `Resumed`, and the others watch it anew).
fn come_back(shared: &Shared) {
    let Some(mut h) = handles(shared) else { return };
    if h.comeback.take().is_none() {
        return;
    }
    let refresh_wanted = std::mem::take(&mut h.refresh_wanted);
    drop(h);
    let leader = request_leader_lock(shared, false);
    let life = take_life_lock(shared);
    if let Some(h) = handles(shared).as_deref_mut() {
        h.leader_lock = leader;
        h.life_lock = life;
    }
    if refresh_wanted {
        request_refresh_lock(shared, false);
    }
}

/// Requests (or, with `steal`, takes over) the Web Lock
/// `<channelName>:<what>`; `granted` is fed to the engine when it is ours,
/// `lost` if another tab takes it over. If the browser refuses the request,
/// the engine is told that this tab has no Web Locks: it then elects and
/// serializes over the channel. `None` where the browser has no Web Locks.
fn request_lock(
    shared: &Shared,
    what: &str,
    steal: bool,
    granted: fn() -> Input<'static>,
    lost: fn(&Shared),
) -> Option<LockRequest> {
    let d = shared.try_borrow().ok()?;
    let locks = d.locks.as_ref()?;
    let name = lock_name(&d, what);
    let (on_granted, on_denied, on_lost) = (Rc::downgrade(shared), Rc::downgrade(shared), Rc::downgrade(shared));
    Some(LockRequest::new(
        locks,
        &name,
        steal,
        Box::new(move || with(&on_granted, |s| handle(s, granted()))),
        Box::new(move || with(&on_denied, |s| handle(s, Input::LocksUnavailable))),
        Box::new(move || with(&on_lost, lost)),
    ))
}

/// `<channelName>:<what>`.
fn lock_name(d: &Driver, what: &str) -> String {
    let mut name = d.config.channel_name.clone();
    name.push(':');
    name.push_str(what);
    name
}

/// Tab `tab`'s Web Lock of life, `<channelName>:tab:<id>`: requested by the
/// tab itself, which holds it until the page goes away, and by the tabs that
/// watch it (`on_granted`: it is gone). `None` without Web Locks.
fn request_life_lock(d: &Driver, tab: u64, on_granted: Box<dyn FnMut()>) -> Option<LockRequest> {
    let mut name = lock_name(d, "tab:");
    crate::core::digits::push_u64(&mut name, tab);
    Some(LockRequest::new(d.locks.as_ref()?, &name, false, on_granted, Box::new(|| {}), Box::new(|| {})))
}

/// This tab's own lock of life; nothing to report when it is granted.
fn take_life_lock(shared: &Shared) -> Option<LockRequest> {
    let d = shared.try_borrow().ok()?;
    request_life_lock(&d, d.engine.tab(), Box::new(|| {}))
}

/// `Command::WatchTab`: queues for another tab's lock of life, once per tab.
/// When it is granted, that tab is gone: the engine is told, and the lock let
/// go at once (a page back from the back/forward cache takes its own again).
fn watch_tab(shared: &Shared, tab: u64) {
    let Ok(d) = shared.try_borrow() else { return };
    let Some(h) = d.handles.as_ref() else { return };
    // Not while the page is leaving (a lock awaited then costs Firefox's
    // back/forward cache); the watch is made again at the holder's next renewal.
    if h.comeback.is_some() || h.watches.iter().any(|(t, _)| *t == tab) {
        return;
    }
    let weak = Rc::downgrade(shared);
    // Dropping the request from within its own callback is safe: wasm-bindgen
    // frees a closure only once the calls into it have returned.
    let Some(request) = request_life_lock(&d, tab, Box::new(move || with(&weak, |s| tab_gone(s, tab)))) else { return };
    drop(d);
    if let Some(h) = handles(shared).as_deref_mut() {
        h.watches.push((tab, request));
    }
}

fn tab_gone(shared: &Shared, tab: u64) {
    let watch = handles(shared).as_deref_mut().and_then(|h| {
        let at = h.watches.iter().position(|(t, _)| *t == tab)?;
        Some(h.watches.swap_remove(at))
    });
    drop(watch);
    handle(shared, Input::TabGone(tab));
}

/// The leader lock, held for the tab's life; when another tab takes it over,
/// this tab stops leading and queues for it again.
fn request_leader_lock(shared: &Shared, steal: bool) -> Option<LockRequest> {
    request_lock(
        shared,
        "leader",
        steal,
        || Input::Leadership(true),
        |s| {
            handle(s, Input::Leadership(false));
            let again = request_leader_lock(s, false);
            // The taken request is dropped once the borrow has ended.
            let taken = handles(s).as_deref_mut().map(|h| std::mem::replace(&mut h.leader_lock, again));
            drop(taken);
        },
    )
}

/// The refresh lock; losing it to a takeover changes nothing here: the
/// refresh under way finishes and its release is then a no-op.
fn request_refresh_lock(shared: &Shared, steal: bool) {
    let request = request_lock(shared, "refresh", steal, || Input::RefreshLockAcquired, |_| {});
    match request {
        Some(r) => {
            // A request replaced here (a takeover) is withdrawn.
            let old = handles(shared).as_deref_mut().and_then(|h| h.refresh_lock.replace(r));
            drop(old);
        }
        None => handle(shared, Input::RefreshLockAcquired),
    }
}

/// Runs `f` on the driver if it still exists and is not disposed.
pub(crate) fn with(weak: &Weak<RefCell<Driver>>, f: impl FnOnce(&Shared)) {
    if let Some(shared) = weak.upgrade() {
        if !disposed(&shared) {
            f(&shared);
        }
    }
}

/// Feeds one input and executes everything it caused.
pub(crate) fn handle(shared: &Shared, input: Input<'_>) {
    if let Ok(mut d) = shared.try_borrow_mut() {
        if d.handles.is_none() {
            return;
        }
        d.engine.handle(now(), input);
    }
    pump(shared);
}

fn pump(shared: &Shared) {
    loop {
        let command = match shared.try_borrow_mut() {
            Ok(mut d) if d.handles.is_some() => d.engine.poll_command(),
            _ => return,
        };
        match command {
            Some(c) => execute(shared, c),
            None => break,
        }
    }
    rearm(shared);
}

/// One timer, re-armed to the engine's next deadline after every change. A
/// late firing needs no special case: the engine compares deadlines with now.
fn rearm(shared: &Shared) {
    let Ok(mut d) = shared.try_borrow_mut() else { return };
    let timer = d.engine.poll_timeout().map(|at| {
        let weak = Rc::downgrade(shared);
        let delay = at.0 as f64 - js_sys::Date::now();
        timeout(delay, move || {
            with(&weak, |s| {
                if let Ok(mut d) = s.try_borrow_mut() {
                    d.engine.handle_timeout(now());
                }
                pump(s);
            })
        })
    });
    if let Some(h) = d.handles.as_mut() {
        h.timer = timer;
    }
}

fn execute(shared: &Shared, command: Command) {
    match command {
        Command::Listen(on) => listen(shared, on),
        Command::SendHeartbeat => spawn_call(
            shared,
            |c| &c.keepalive,
            |outcome| {
                Some(Input::HeartbeatDone(match outcome {
                    Outcome::Reply(reply) => http::heartbeat_result(reply),
                    Outcome::Returned(value) => callback::heartbeat_result(value),
                }))
            },
        ),
        Command::AcquireRefreshLock => request_refresh_lock(shared, false),
        Command::StealRefreshLock => request_refresh_lock(shared, true),
        Command::StealLeadership => {
            let request = request_leader_lock(shared, true);
            let old = handles(shared).as_deref_mut().and_then(|h| std::mem::replace(&mut h.leader_lock, request));
            drop(old);
        }
        Command::SendRefresh => spawn_call(
            shared,
            |c| &c.refresh,
            |outcome| {
                Some(Input::RefreshDone(match outcome {
                    Outcome::Reply(reply) => http::refresh_result(reply),
                    Outcome::Returned(value) => callback::refresh_result(value),
                }))
            },
        ),
        Command::WatchTab(tab) => watch_tab(shared, tab),
        Command::ReleaseRefreshLock => {
            let lock = handles(shared).as_deref_mut().and_then(|h| h.refresh_lock.take());
            drop(lock);
        }
        // The outcome does not matter: the session is already over here.
        Command::CallLogout => spawn_call(shared, |c| &c.logout, |_| None),
        Command::Broadcast(envelope) => {
            if let Some(c) = handles(shared).as_deref_mut().and_then(|h| h.channel.as_mut()) {
                c.post(envelope);
            }
        }
        Command::Emit(event) => {
            let callback = match event {
                Event::Error(Operation::Heartbeat, _) => uses_callback(shared, |c| &c.keepalive),
                Event::Error(Operation::Refresh, _) => uses_callback(shared, |c| &c.refresh),
                _ => false,
            };
            if let Some(target) = event_target(shared) {
                dispatch(&target, event, callback);
            }
        }
        Command::ResolveTokenWaiters => resolve_waiters(shared),
    }
}

/// One outgoing call of the SDK: a request, or the app's callback and its time limit.
enum Outgoing {
    Request(RequestParams),
    Callback(js_sys::Function, u64),
}

/// What an outgoing call came back with.
enum Outcome {
    Reply(http::Reply),
    Returned(Result<JsValue, crate::core::Failure>),
}

/// Makes the call to `endpoint` and feeds the engine what `report` makes of
/// its outcome. The call starts in a microtask, once the engine's commands of
/// this turn are done: an app callback never runs inside the engine's turn.
fn spawn_call(
    shared: &Shared,
    endpoint: fn(&WebConfig) -> &Option<Endpoint>,
    report: fn(Outcome) -> Option<Input<'static>>,
) {
    let Some(out) = outgoing(shared, endpoint) else { return };
    let weak = Rc::downgrade(shared);
    let deliver = move |outcome| {
        if let Some(input) = report(outcome) {
            with(&weak, |s| handle(s, input));
        }
    };
    when_settled(
        &Promise::resolve(&JsValue::UNDEFINED),
        Box::new(move |_| match out {
            Outgoing::Request(params) => http::post(&params, None, Box::new(move |r| deliver(Outcome::Reply(r)))),
            Outgoing::Callback(f, ms) => callback::call(&f, ms, Box::new(move |r| deliver(Outcome::Returned(r)))),
        }),
    );
}

fn outgoing(shared: &Shared, endpoint: fn(&WebConfig) -> &Option<Endpoint>) -> Option<Outgoing> {
    let d = shared.try_borrow().ok()?;
    let timeout_ms = d.config.request_timeout_ms;
    Some(match endpoint(&d.config).as_ref()? {
        Endpoint::Url(url) => Outgoing::Request(params(&d.config, url.clone())),
        Endpoint::Callback(f) => Outgoing::Callback(f.clone(), timeout_ms),
    })
}

fn uses_callback(shared: &Shared, endpoint: fn(&WebConfig) -> &Option<Endpoint>) -> bool {
    shared.try_borrow().is_ok_and(|d| matches!(endpoint(&d.config), Some(Endpoint::Callback(_))))
}

fn params(config: &WebConfig, url: String) -> RequestParams {
    RequestParams { url, headers: config.headers.clone(), timeout_ms: config.request_timeout_ms }
}

pub(crate) fn request_params(shared: &Shared, url: fn(&WebConfig) -> &Option<String>) -> Option<RequestParams> {
    let d = shared.try_borrow().ok()?;
    Some(params(&d.config, url(&d.config).clone()?))
}

fn listen(shared: &Shared, on: bool) {
    let Ok(mut d) = shared.try_borrow_mut() else { return };
    let listeners = if on {
        let window = global();
        let listen_to = |name: &String| {
            let weak = Rc::downgrade(shared);
            super::handles::listen(&window, name, true, move |_| with(&weak, |s| handle(s, Input::Activity)))
        };
        d.config.activity_events.iter().map(listen_to).collect()
    } else {
        Vec::new()
    };
    if let Some(h) = d.handles.as_mut() {
        h.activity = listeners;
    }
}

/// Registers a waiter for `getAccessToken()`; the engine answers at once when
/// a valid token is held, else when the shared refresh settles.
pub(crate) fn token_promise(shared: &Shared) -> Promise {
    let (promise, waiter) = Deferred::new();
    match shared.try_borrow_mut() {
        Ok(mut d) => d.waiters.push(waiter),
        Err(_) => waiter.resolve(&JsValue::NULL),
    }
    handle(shared, Input::TokenWanted);
    if disposed(shared) {
        resolve_waiters(shared);
    }
    promise
}

/// The keeper's event target, cloned so that no borrow is held while
/// JavaScript runs (listeners, or converting an event name to a string).
pub(crate) fn event_target(shared: &Shared) -> Option<Target> {
    shared.try_borrow().ok().map(|d| d.events.clone())
}

/// Whether `dispose()` was called (or the driver is unreachable).
pub(crate) fn disposed(shared: &Shared) -> bool {
    shared.try_borrow().map_or(true, |d| d.handles.is_none())
}

/// The driver's handles while it is not disposed, under a short borrow.
fn handles(shared: &Shared) -> Option<std::cell::RefMut<'_, Handles>> {
    let d = shared.try_borrow_mut().ok()?;
    std::cell::RefMut::filter_map(d, |d| d.handles.as_mut()).ok()
}

/// The token, if valid now and the keeper is not disposed: the one place
/// the token leaves the engine.
fn current_token(shared: &Shared) -> Option<String> {
    let d = shared.try_borrow().ok().filter(|d| d.handles.is_some())?;
    d.engine.access_token(now()).map(String::from)
}

/// The `state` for the app, as of now; `None` while the driver is busy.
pub(crate) fn state(shared: &Shared) -> Option<js_values::State> {
    let d = shared.try_borrow().ok()?;
    Some(js_values::State::new(d.engine.snapshot(now()), d.engine.tab(), d.engine.ignored_messages()))
}

/// Whether the keeper has token sessions (a `refreshUrl`): its `fetch()`
/// then sends a bearer token.
pub(crate) fn token_session(shared: &Shared) -> bool {
    shared.try_borrow().is_ok_and(|d| d.config.refresh.is_some())
}

fn resolve_waiters(shared: &Shared) {
    let token = current_token(shared).map_or(JsValue::NULL, |t| JsValue::from_str(&t));
    let waiters = match shared.try_borrow_mut() {
        Ok(mut d) => std::mem::take(&mut d.waiters),
        Err(_) => return,
    };
    for waiter in waiters {
        waiter.resolve(&token);
    }
}

/// Drops every handle: listeners, timer, channel, locks. Pending
/// `getAccessToken()` calls resolve to `null`.
pub(crate) fn dispose(shared: &Shared) {
    // Holds end with the keeper: tell the other tabs while the channel is open.
    handle(shared, Input::PageHide);
    // Dropped after the borrow ends: releasing a lock may call into JavaScript.
    let held = shared.try_borrow_mut().ok().and_then(|mut d| d.handles.take());
    drop(held);
    resolve_waiters(shared);
}

fn dispatch(target: &Target, event: Event, callback: bool) {
    let (name, detail) = js_values::event(event, callback);
    let init = object(&[("detail", &js_values::to_js(&detail))]);
    if let Ok(e) = CustomEvent::new(name, &init) {
        // A listener that throws is the app's problem; the browser reports it.
        let _ = target.dispatch(&e);
    }
}
