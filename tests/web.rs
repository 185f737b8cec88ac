//! Browser tests of the `SessionKeeper` facade and the web driver.
//!
//! Run: `wasm-pack test --headless --chrome --test web`.
//!
//! A scripted `fetch` stub (tests/web_stub.js) plays the server and records
//! every request; it also tracks the window/document listeners and the timers
//! created while a test runs, so `dispose()` can be checked for leftovers. The
//! stub's delays and the tests' sleeps use the original `setTimeout`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise, Reflect, JSON};
use keep_session_alive::SessionKeeper;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::CustomEvent;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web_stub.js")]
extern "C" {
    #[wasm_bindgen(js_name = stubReset)]
    fn stub_reset();
    #[wasm_bindgen(js_name = stubRoute)]
    fn stub_route(path: &str, responses: &str);
    #[wasm_bindgen(js_name = stubRequests)]
    fn stub_requests() -> Array;
    #[wasm_bindgen(js_name = stubCount)]
    fn stub_count(path: &str, since: u32) -> u32;
    #[wasm_bindgen(js_name = stubSeq)]
    fn stub_seq() -> u32;
    #[wasm_bindgen(js_name = liveListeners)]
    fn live_listeners(target: &str, kind: &str) -> u32;
    #[wasm_bindgen(js_name = liveListenerKeys)]
    fn live_listener_keys() -> String;
    #[wasm_bindgen(js_name = liveTimers)]
    fn live_timers() -> u32;
    #[wasm_bindgen(js_name = realSleep)]
    fn real_sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = visibleStorage)]
    fn visible_storage() -> String;
    #[wasm_bindgen(js_name = jsonStringify)]
    fn json_stringify(v: &JsValue) -> String;
    #[wasm_bindgen(js_name = whenListenerAdded)]
    fn when_listener_added(kind: &str, f: &js_sys::Function);
    #[wasm_bindgen(js_name = dispatchOn)]
    fn dispatch_on(target: &str, kind: &str);
    #[wasm_bindgen(js_name = denyLocks)]
    fn deny_locks(marker: &str);
    #[wasm_bindgen(js_name = setVisibility)]
    fn set_visibility(state: Option<String>);
    #[wasm_bindgen(js_name = scriptedCallback)]
    fn scripted_callback(name: &str, script: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = callbackCalls)]
    fn callback_calls(name: &str) -> JsValue;
    #[wasm_bindgen(js_name = hangOnLock)]
    fn hang_on_lock(name: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = hideLocks)]
    fn hide_locks(hidden: bool);
}

const REFRESH: &str = "/api/auth/refresh";
const DATA: &str = "/api/data";
const LOGIN: &str = "/api/auth/login";
const LOGOUT: &str = "/api/auth/logout";
const EVENT_KINDS: [&str; 10] =
    ["activity", "idle", "heartbeat", "warning", "timeout", "refresh", "login", "logout", "leader", "error"];

// ---- helpers ------------------------------------------------------------------

async fn sleep(ms: u32) {
    let _ = JsFuture::from(real_sleep(ms)).await;
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn channel(test: &str) -> String {
    format!("ksa-test-{test}-{}", (js_sys::Math::random() * 1e12) as u64)
}

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("valid JSON in the test")
}

fn error_message(e: JsValue) -> String {
    Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

/// `new SessionKeeper(options)`; the error message on failure.
fn try_keeper(options: JsValue) -> Result<SessionKeeper, String> {
    SessionKeeper::new(options.unchecked_into()).map_err(|e| error_message(e.into()))
}

fn keeper(options_json: &str) -> SessionKeeper {
    try_keeper(js(options_json)).unwrap_or_else(|m| panic!("constructor threw: {m}"))
}

async fn settle<T: JsCast>(promise: T) -> Result<JsValue, JsValue> {
    JsFuture::from(promise.unchecked_into::<Promise>()).await
}

async fn token(k: &SessionKeeper) -> Option<String> {
    settle(k.get_access_token()).await.expect("getAccessToken never rejects").as_string()
}

/// A token-session keeper on its own channel: refresh endpoint stubbed by the
/// test, a long idle timeout, a short wait for siblings.
fn token_keeper(test: &str) -> SessionKeeper {
    keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel(test)
    ))
}

/// Two keepers on one fresh channel, as two tabs of one user: `fields` are
/// option fields of a JSON object, without the channel and the sibling wait.
fn tab_pair(test: &str, fields: &str) -> (SessionKeeper, SessionKeeper) {
    let options = format!(r#"{{{fields},"siblingWaitMs":50,"channelName":"{}"}}"#, channel(test));
    (keeper(&options), keeper(&options))
}

fn set_session(k: &SessionKeeper, json: &str) {
    k.set_session(js(json).unchecked_into())
        .unwrap_or_else(|e| panic!("setSession threw: {}", error_message(e.into())));
}

async fn fetch(k: &SessionKeeper, url: &str) -> Result<web_sys::Response, JsValue> {
    settle(k.fetch(JsValue::from_str(url).unchecked_into(), None)).await.map(|r| r.unchecked_into())
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn state(k: &SessionKeeper) -> JsValue {
    k.state().into()
}

fn state_bool(k: &SessionKeeper, key: &str) -> bool {
    get(&state(k), key).as_bool().unwrap_or_else(|| panic!("state.{key} is not a boolean"))
}

fn state_num(k: &SessionKeeper, key: &str) -> Option<f64> {
    get(&state(k), key).as_f64()
}

/// Requests recorded since sequence number `since` to `path`, as (auth, method).
fn requests_to(path: &str, since: u32) -> Vec<JsValue> {
    stub_requests()
        .iter()
        .filter(|r| get(r, "path").as_string().as_deref() == Some(path))
        .filter(|r| get(r, "seq").as_f64().unwrap_or(0.0) >= f64::from(since))
        .collect()
}

fn auth_of(r: &JsValue) -> Option<String> {
    get(r, "auth").as_string()
}

/// Records every event a keeper emits: (type, detail).
struct Events {
    log: Rc<RefCell<Vec<(String, JsValue)>>>,
    _closures: Vec<Closure<dyn FnMut(CustomEvent)>>,
}

impl Events {
    fn of(k: &SessionKeeper) -> Events {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut closures = Vec::new();
        for kind in EVENT_KINDS {
            let log = log.clone();
            let c = Closure::<dyn FnMut(CustomEvent)>::new(move |e: CustomEvent| {
                log.borrow_mut().push((e.type_(), e.detail()));
            });
            k.add_event_listener(&JsValue::from_str(kind), c.as_ref().unchecked_ref());
            closures.push(c);
        }
        Events { log, _closures: closures }
    }

    fn details(&self, kind: &str) -> Vec<JsValue> {
        self.log.borrow().iter().filter(|(k, _)| k == kind).map(|(_, d)| d.clone()).collect()
    }

    fn count(&self, kind: &str) -> usize {
        self.details(kind).len()
    }

    fn all(&self) -> Vec<(String, JsValue)> {
        self.log.borrow().clone()
    }

    /// Waits (polling) until `n` events of `kind` have arrived, at most `max_ms`.
    async fn wait_for(&self, kind: &str, n: usize, max_ms: u32) -> bool {
        let deadline = now() + f64::from(max_ms);
        while self.count(kind) < n {
            if now() > deadline {
                return false;
            }
            sleep(5).await;
        }
        true
    }
}

/// Polls `f` every 5 ms for at most `max_ms`.
async fn eventually(max_ms: u32, mut f: impl FnMut() -> bool) -> bool {
    let deadline = now() + f64::from(max_ms);
    loop {
        if f() {
            return true;
        }
        if now() > deadline {
            return false;
        }
        sleep(5).await;
    }
}

fn refresh_reply(token: &str, expires_in: u32, delay: u32) -> String {
    format!(r#"[{{"status":200,"json":{{"accessToken":"{token}","expiresIn":{expires_in}}},"delay":{delay}}}]"#)
}

// ---- 1. the keeper: options, the token's visibility, dispose (src/web/keeper.rs, src/api) -------

#[wasm_bindgen_test]
fn invalid_options_throw_messages_naming_the_problem() {
    stub_reset();
    let cases: [(&str, &[&str]); 10] = [
        (r#"{"idleTimeoutMS":1000}"#, &["idleTimeoutMS", "not a known option"]),
        (r#"{"idleTimeoutMs":-5}"#, &["idleTimeoutMs", "whole, non-negative"]),
        (r#"{"idleTimeoutMs":1.5}"#, &["idleTimeoutMs", "whole, non-negative"]),
        (r#"{"idleTimeoutMs":1000,"warningMs":1000}"#, &["warningMs", "smaller than idleTimeoutMs"]),
        (r#"{"keepaliveUrl":"/api/keepalive"}"#, &["sessionTimeoutMs", "required with keepaliveUrl"]),
        (r#"{"activityEvents":"click"}"#, &["activityEvents", "array"]),
        (r#"{"headers":{"a":1}}"#, &["headers", "string values"]),
        (r#"{"logoutOnIdle":"yes"}"#, &["logoutOnIdle", "true or false"]),
        (r#"42"#, &["options object"]),
        (r#"null"#, &["options object"]),
    ];
    for (options, expected) in cases {
        let message = match try_keeper(js(options)) {
            Ok(k) => {
                k.dispose();
                panic!("{options} was accepted");
            }
            Err(m) => m,
        };
        for part in expected {
            assert!(message.contains(part), "{options}: message {message:?} should contain {part:?}");
        }
    }
    // `new SessionKeeper()` and a string.
    for v in [JsValue::UNDEFINED, JsValue::from_str("{}")] {
        let message = try_keeper(v).err().unwrap_or_default();
        assert!(message.contains("options object"), "{message}");
    }
    // Nothing is left running by a rejected constructor.
    assert_eq!(live_listeners("window", ""), 0, "{}", live_listener_keys());
    assert_eq!(live_listeners("document", ""), 0, "{}", live_listener_keys());
    assert_eq!(live_timers(), 0);
}

#[wasm_bindgen_test]
async fn the_token_never_reaches_storage_cookies_the_url_the_state_or_events() {
    stub_reset();
    const LOGIN_TOKEN: &str = "SECRET-login-7f3a9c";
    const REFRESHED_TOKEN: &str = "SECRET-refreshed-b41e2d";
    let k = token_keeper("leak");
    let events = Events::of(&k);
    set_session(&k, &format!(r#"{{"accessToken":"{LOGIN_TOKEN}","expiresIn":60}}"#));
    stub_route(REFRESH, &refresh_reply(REFRESHED_TOKEN, 60, 0));
    stub_route(DATA, r#"[{"status":401},{"status":200}]"#);
    assert_eq!(fetch(&k, DATA).await.expect("fetch").status(), 200);
    assert!(events.wait_for("refresh", 1, 1000).await, "the token was refreshed");
    assert_eq!(token(&k).await.as_deref(), Some(REFRESHED_TOKEN));
    sleep(50).await;

    let mut visible = visible_storage();
    visible.push_str(&json_stringify(&state(&k)));
    for (kind, detail) in events.all() {
        visible.push_str(&kind);
        visible.push_str(&json_stringify(&detail));
    }
    assert!(events.count("login") == 1, "the login event was seen");
    for secret in [LOGIN_TOKEN, REFRESHED_TOKEN, "SECRET"] {
        assert!(!visible.contains(secret), "{secret} is visible in: {visible}");
    }
    k.dispose();
}

#[wasm_bindgen_test]
async fn dispose_leaves_no_listener_or_timer_behind() {
    stub_reset();
    stub_route("/api/keepalive", r#"[{"status":204}]"#);
    stub_route(REFRESH, &refresh_reply("r1", 60, 0));
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","keepaliveUrl":"/api/keepalive","sessionTimeoutMs":60000,"idleTimeoutMs":1600,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel("dispose")
    ));
    let events = Events::of(&k);
    set_session(&k, r#"{"accessToken":"t","expiresIn":60}"#);
    assert!(events.wait_for("leader", 1, 1000).await);
    sleep(150).await;
    assert!(live_listeners("window", "pointerdown") == 1, "activity listeners attached: {}", live_listener_keys());
    assert!(live_listeners("document", "visibilitychange") == 1, "{}", live_listener_keys());
    assert!(live_timers() >= 1, "the engine's timer is armed");

    k.dispose();
    assert_eq!(live_listeners("window", ""), 0, "window listeners left: {}", live_listener_keys());
    assert_eq!(live_listeners("document", ""), 0, "document listeners left: {}", live_listener_keys());
    assert_eq!(live_timers(), 0, "timers left");

    // Inert, not broken: methods still answer.
    assert_eq!(token(&k).await, None, "getAccessToken resolves null");
    let _ = json_stringify(&state(&k));
    k.stay_signed_in();
    let _ = settle(k.logout()).await;
    dispatch_on("window", "pointerdown");
    dispatch_on("window", "online");
    sleep(50).await;
    assert_eq!(live_listeners("window", ""), 0, "{}", live_listener_keys());
    assert_eq!(live_timers(), 0);
}

// ---- 2. the command loop (src/web/driver.rs) ----------------------------------------------------

#[wasm_bindgen_test]
async fn an_input_that_arrives_while_the_driver_is_busy_is_queued_not_dropped() {
    stub_reset();
    let k = Rc::new(keeper(&format!(
        r#"{{"idleTimeoutMs":1600,"siblingWaitMs":50,"activityEvents":["pointerdown"],"channelName":"{}"}}"#,
        channel("reentrant")
    )));
    // The page's addEventListener calls the keeper while the driver attaches
    // its activity listener: a command it executes inside a turn of its loop
    // (the sampling period's timer, 100 ms after the login).
    let hold = Rc::new(RefCell::new(None));
    let (keeper_in_hook, hold_in_hook) = (k.clone(), hold.clone());
    let hook = Closure::once_into_js(move || {
        *hold_in_hook.borrow_mut() = Some(keeper_in_hook.hold_active(Some("from the page's hook".into())));
    });
    when_listener_added("pointerdown", hook.unchecked_ref());
    set_session(&k, "{}");
    assert!(eventually(1000, || hold.borrow().is_some()).await, "the hook ran when the listener was attached");
    assert_eq!(state_num(&k, "holds"), Some(1.0), "the hold taken inside the turn counts once the turn is done");
    assert_eq!(live_listeners("window", "pointerdown"), 1, "the command in hand finished too");
    hold.borrow_mut().take().expect("the hold").release();
    assert_eq!(state_num(&k, "holds"), Some(0.0));
    k.dispose();
}

// ---- 3. activity and the page's lifecycle (src/web/lifecycle.rs) --------------------------------

#[wasm_bindgen_test]
async fn activity_listeners_detach_after_one_event_and_reattach_after_the_sampling_period() {
    stub_reset();
    let k = keeper(&format!(
        r#"{{"idleTimeoutMs":1600,"siblingWaitMs":50,"activityEvents":["pointerdown"],"channelName":"{}"}}"#,
        channel("activity")
    ));
    set_session(&k, "{}");
    // The sampling period (1600 / 16 = 100 ms) starts at login: wait it out.
    assert!(eventually(500, || live_listeners("window", "pointerdown") == 1).await, "listener attached after login");
    sleep(10).await;
    let before = state_num(&k, "lastActivity").expect("lastActivity while signed in");

    dispatch_on("window", "pointerdown");
    let first = state_num(&k, "lastActivity").unwrap();
    assert!(first > before, "a pointerdown updates lastActivity ({before} -> {first})");
    assert_eq!(live_listeners("window", "pointerdown"), 0, "listeners detach after one event");

    sleep(10).await;
    dispatch_on("window", "pointerdown");
    assert_eq!(state_num(&k, "lastActivity").unwrap(), first, "a second event within the period is not seen");
    assert_eq!(live_listeners("window", "pointerdown"), 0);

    sleep(150).await;
    assert_eq!(live_listeners("window", "pointerdown"), 1, "re-attached after the sampling period");
    dispatch_on("window", "pointerdown");
    let third = state_num(&k, "lastActivity").unwrap();
    assert!(third > first, "a new event after the period updates lastActivity ({first} -> {third})");
    assert_eq!(live_listeners("window", "pointerdown"), 0);
    k.dispose();
}

#[wasm_bindgen_test]
async fn a_hold_in_one_tab_keeps_every_tab_present_until_released_or_disposed() {
    stub_reset();
    // Leases are renewed every idleTimeoutMs / 8 and last three renewals: long
    // enough here (1.1 s) that a loaded machine's late timers do not end a lease.
    let (a, b) = tab_pair("hold", r#""idleTimeoutMs":3000"#);
    let (events_a, events_b) = (Events::of(&a), Events::of(&b));
    set_session(&a, "{}");
    assert!(events_b.wait_for("login", 1, 1000).await);

    let hold = b.hold_active(Some("video".into()));
    assert_eq!(hold.label().as_deref(), Some("video"));
    sleep(4000).await;
    for (k, events) in [(&a, &events_a), (&b, &events_b)] {
        assert!(state_bool(k, "authenticated"), "present without input while held");
        assert_eq!(state_num(k, "holds"), Some(1.0));
        assert_eq!(events.count("warning") + events.count("logout"), 0, "no warning, no idle logout");
    }
    hold.release();
    assert!(!hold.held());
    assert!(events_a.wait_for("logout", 1, 6000).await && events_b.wait_for("logout", 1, 6000).await);
    assert_eq!(get(&events_a.details("logout")[0], "reason").as_string().as_deref(), Some("idle"));

    // A tab that goes away (dispose, as on pagehide) releases its holds too.
    set_session(&a, "{}");
    assert!(events_b.wait_for("login", 2, 1000).await);
    let _held = b.hold_active(None);
    sleep(3500).await;
    assert!(state_bool(&a, "authenticated"), "still present past the idle timeout while held");
    b.dispose();
    assert!(events_a.wait_for("logout", 2, 6000).await, "idle follows once the holding tab is gone");
    a.dispose();
}

/// Closing a tab fires `pagehide`, then `visibilitychange` to hidden: the
/// second must not announce the holds the first just ended.
#[wasm_bindgen_test]
async fn pagehide_ends_a_tabs_holds_for_the_others_and_going_hidden_does_not_renew_them() {
    stub_reset();
    let (a, b) = tab_pair("pagehide", r#""idleTimeoutMs":60000"#);
    let events_b = Events::of(&b);
    set_session(&a, "{}");
    assert!(events_b.wait_for("login", 1, 1000).await);
    // Taken before `a` was created, so only `b` holds; `a` hears of it.
    let _hold = b.hold_active(Some("upload".into()));
    assert!(eventually(1000, || state_num(&a, "holds") == Some(1.0)).await, "the hold reaches the other tab");
    dispatch_on("window", "pagehide");
    set_visibility(Some("hidden".into()));
    dispatch_on("document", "visibilitychange");
    sleep(300).await;
    set_visibility(None);
    assert_eq!(state_num(&a, "holds"), Some(0.0), "pagehide ended the hold in the other tab, and stays ended");
    assert_eq!(state_num(&b, "holds"), Some(1.0), "the hiding tab keeps its own count");
    a.dispose();
    b.dispose();
}

// ---- 4. sessions across tabs (src/web/channel.rs) -----------------------------------------------

#[wasm_bindgen_test]
async fn two_keepers_on_one_channel_share_login_refresh_and_logout() {
    stub_reset();
    stub_route(REFRESH, &refresh_reply("t2", 60, 0));
    stub_route(DATA, r#"[{"status":401},{"status":200,"json":{"ok":true}}]"#);
    let options = format!(
        r#"{{"refreshUrl":"{REFRESH}","idleTimeoutMs":60000,"siblingWaitMs":300,"channelName":"{}"}}"#,
        channel("sync")
    );
    let a = keeper(&options);
    let b = keeper(&options);
    let events_b = Events::of(&b);
    let start = stub_seq();

    set_session(&a, r#"{"accessToken":"t1","expiresIn":60}"#);
    assert!(events_b.wait_for("login", 1, 1000).await, "B hears A's login");
    assert!(state_bool(&b, "authenticated"));
    assert_eq!(token(&b).await.as_deref(), Some("t1"), "B has A's token");
    assert_eq!(stub_count(REFRESH, start), 0, "B got the token without a refresh");

    // Force a refresh in A: its token is rejected once.
    let response = fetch(&a, DATA).await.expect("fetch resolves");
    assert_eq!(response.status(), 200);
    assert_eq!(stub_count(REFRESH, start), 1);
    assert!(events_b.wait_for("refresh", 1, 1000).await, "B hears A's refresh");
    assert_eq!(token(&b).await.as_deref(), Some("t2"), "B adopts A's new token");
    assert_eq!(stub_count(REFRESH, start), 1, "B did not refresh on its own");

    settle(a.logout()).await.expect("logout resolves");
    assert!(events_b.wait_for("logout", 1, 1000).await, "B hears A's logout");
    let logout = events_b.details("logout").remove(0);
    assert_eq!(get(&logout, "reason").as_string().as_deref(), Some("user"), "the cause crosses tabs");
    assert_eq!(get(&logout, "remote").as_bool(), Some(true));
    assert_eq!(token(&b).await, None, "B is signed out");
    assert!(!state_bool(&b, "authenticated"));
    a.dispose();
    b.dispose();
}

#[wasm_bindgen_test]
async fn touch_in_another_tab_suppresses_the_leaders_heartbeat_until_it_stops() {
    stub_reset();
    stub_route(KEEPALIVE, r#"[{"status":200}]"#);
    let options = format!(r#""keepaliveUrl":"{KEEPALIVE}","sessionTimeoutMs":2000,"idleTimeoutMs":8000"#);
    let (leader, other) = tab_pair("touch", &options);
    set_session(&leader, "{}");
    assert!(eventually(1000, || state_bool(&leader, "leader") && state_bool(&other, "authenticated")).await);
    assert!(!state_bool(&other, "leader"));
    let start = stub_seq();

    // 2.5 s of activity, with app traffic reported in the other tab every 100 ms.
    for _ in 0..25 {
        dispatch_on("window", "pointerdown");
        other.touch();
        sleep(100).await;
    }
    assert_eq!(stub_count(KEEPALIVE, start), 0, "app traffic already touched the session: no heartbeat");
    // The same activity without app traffic: the leader's heartbeat comes.
    let mut pinged = false;
    for _ in 0..40 {
        dispatch_on("window", "pointerdown");
        sleep(100).await;
        if stub_count(KEEPALIVE, start) > 0 {
            pinged = true;
            break;
        }
    }
    assert!(pinged, "without touches the leader pings");
    leader.dispose();
    other.dispose();
}

#[wasm_bindgen_test]
async fn a_revoked_session_ends_every_tab_with_cause_revoked_and_remote_where_it_was_heard() {
    stub_reset();
    let (a, b) = tab_pair("revoked-everywhere", &format!(r#""refreshUrl":"{REFRESH}","idleTimeoutMs":60000"#));
    let (events_a, events_b) = (Events::of(&a), Events::of(&b));
    set_session(&a, r#"{"accessToken":"t0","expiresIn":60}"#);
    assert!(events_b.wait_for("login", 1, 1000).await, "B hears the login");
    stub_route(DATA, r#"[{"status":401}]"#);
    stub_route(REFRESH, r#"[{"status":401}]"#);

    // The 401 marks the token rejected; the refresh that follows is refused.
    assert!(fetch(&a, DATA).await.is_err());
    assert!(events_a.wait_for("logout", 1, 1000).await && events_b.wait_for("logout", 1, 1000).await);
    let (here, there) = (events_a.details("logout").remove(0), events_b.details("logout").remove(0));
    assert_eq!(get(&here, "reason").as_string().as_deref(), Some("revoked"));
    assert_eq!(get(&here, "remote").as_bool(), Some(false));
    assert_eq!(get(&there, "reason").as_string().as_deref(), Some("revoked"), "the cause reaches the other tab");
    assert_eq!(get(&there, "remote").as_bool(), Some(true));
    a.dispose();
    b.dispose();
}

// ---- 5. the tabs' Web Locks, and without them (src/web/tab_locks.rs) ----------------------------

#[wasm_bindgen_test]
async fn leadership_moves_to_the_other_keeper_when_the_leader_is_disposed() {
    stub_reset();
    let options = format!(r#"{{"siblingWaitMs":50,"channelName":"{}"}}"#, channel("leader"));
    let a = keeper(&options);
    let events_a = Events::of(&a);
    assert!(events_a.wait_for("leader", 1, 1000).await, "A becomes leader");
    assert_eq!(get(&events_a.details("leader")[0], "leader").as_bool(), Some(true));
    assert!(state_bool(&a, "leader"));

    let b = keeper(&options);
    let events_b = Events::of(&b);
    sleep(100).await;
    assert!(!state_bool(&b, "leader"), "B waits while A leads");
    assert_eq!(events_b.count("leader"), 0);

    a.dispose();
    assert!(events_b.wait_for("leader", 1, 1000).await, "B takes over");
    assert_eq!(get(&events_b.details("leader")[0], "leader").as_bool(), Some(true));
    assert!(state_bool(&b, "leader"));
    b.dispose();
}

#[wasm_bindgen_test]
async fn refused_web_locks_degrade_to_a_tab_of_its_own() {
    stub_reset();
    let name = channel("refused-locks");
    deny_locks(&name);
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","idleTimeoutMs":60000,"siblingWaitMs":20,"channelName":"{name}"}}"#
    ));
    stub_route(REFRESH, r#"[{"status":200,"json":{"accessToken":"own","expiresIn":60}}]"#);
    // Without the lock the tab leads and refreshes on its own instead of waiting forever.
    assert!(eventually(1000, || state_bool(&k, "leader")).await, "leads without the refused leader lock");
    assert_eq!(token(&k).await.as_deref(), Some("own"));
    deny_locks("");
    k.dispose();
}

#[wasm_bindgen_test]
async fn without_web_locks_tabs_elect_one_leader_and_refresh_one_at_a_time() {
    stub_reset();
    stub_route(REFRESH, &refresh_reply("shared", 60, 100));
    hide_locks(true);
    let name = channel("no-locks");
    let options =
        format!(r#"{{"refreshUrl":"{REFRESH}","idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{name}"}}"#);
    let tabs = [keeper(&options), keeper(&options), keeper(&options)];
    hide_locks(false);
    let start = stub_seq();
    // All three restore at once; the claims let one refresh, the others take its token.
    let pending: Vec<Promise> = tabs.iter().map(|k| k.get_access_token().unchecked_into()).collect();
    for p in pending {
        assert_eq!(settle(p).await.ok().and_then(|t| t.as_string()).as_deref(), Some("shared"));
    }
    assert_eq!(stub_count(REFRESH, start), 1, "one refresh for three tabs");
    assert!(eventually(1000, || tabs.iter().filter(|k| state_bool(k, "leader")).count() == 1).await, "one leader");
    // The leader goes away: another takes over at once.
    let leader = tabs.iter().position(|k| state_bool(k, "leader")).unwrap_or(0);
    tabs[leader].dispose();
    let others: Vec<&SessionKeeper> = tabs.iter().enumerate().filter(|(i, _)| *i != leader).map(|(_, k)| k).collect();
    assert!(eventually(1000, || others.iter().filter(|k| state_bool(k, "leader")).count() == 1).await, "a new leader");
    for k in others {
        k.dispose();
    }
}

#[wasm_bindgen_test]
async fn a_refresh_lock_held_by_a_hung_tab_is_taken_over() {
    stub_reset();
    stub_route(REFRESH, &refresh_reply("after-takeover", 60, 0));
    let name = channel("hung-refresh");
    let stolen = hang_on_lock(&format!("{name}:refresh"));
    // requestTimeoutMs 100: the takeover comes after 2 x 100 + 5000 ms and a jitter of at most 1300.
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","requestTimeoutMs":100,"idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{name}"}}"#
    ));
    let start = stub_seq();
    assert_eq!(token(&k).await.as_deref(), Some("after-takeover"), "the restore refreshed after taking the lock over");
    assert_eq!(stub_count(REFRESH, start), 1);
    assert_eq!(
        stolen.call0(&JsValue::NULL).ok().and_then(|v| v.as_bool()),
        Some(true),
        "the hung holder lost the lock"
    );
    k.dispose();
}

#[wasm_bindgen_test]
async fn a_leader_lock_held_by_a_hung_tab_is_taken_over_when_a_ping_is_overdue() {
    stub_reset();
    stub_route("/api/keepalive", r#"[{"status":204}]"#);
    let name = channel("hung-leader");
    let stolen = hang_on_lock(&format!("{name}:leader"));
    let k = keeper(&format!(
        r#"{{"keepaliveUrl":"/api/keepalive","sessionTimeoutMs":400,"idleTimeoutMs":4000,"siblingWaitMs":50,"channelName":"{name}"}}"#
    ));
    let events = Events::of(&k);
    set_session(&k, "{}");
    assert!(!state_bool(&k, "leader"), "the hung tab holds the leader lock");
    // The user is active; the ping the (hung) leader owes goes overdue and this tab takes over.
    for _ in 0..40 {
        dispatch_on("window", "pointerdown");
        sleep(25).await;
        if events.count("heartbeat") > 0 {
            break;
        }
    }
    assert!(state_bool(&k, "leader"), "took the leader lock over");
    assert!(events.count("heartbeat") > 0, "and pinged");
    assert_eq!(
        stolen.call0(&JsValue::NULL).ok().and_then(|v| v.as_bool()),
        Some(true),
        "the hung leader lost the lock"
    );
    k.dispose();
}

// ---- 6. the SDK's own requests: login, refresh, keepalive (src/web/requests.rs, http.rs) --------

#[wasm_bindgen_test]
async fn login_posts_credentials_and_starts_a_token_session_from_oauth_names() {
    stub_reset();
    stub_route(REFRESH, r#"[{"status":401}]"#);
    stub_route(LOGIN, r#"[{"status":200,"json":{"access_token":"L1","expires_in":120}}]"#);
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","loginUrl":"{LOGIN}","idleTimeoutMs":60000,"siblingWaitMs":20,"channelName":"{}"}}"#,
        channel("login")
    ));
    let events = Events::of(&k);
    // Let the new tab's restore attempt (refresh cookie: 401) finish first.
    assert!(eventually(1000, || !state_bool(&k, "restoring")).await);
    assert!(!state_bool(&k, "authenticated"));
    let start = stub_seq();

    let before = now();
    settle(k.login(js(r#"{"user":"ada","password":"pw"}"#).unchecked_into())).await.expect("login resolves");
    let after = now();
    assert!(events.wait_for("login", 1, 1000).await);
    let expires_at = get(&events.details("login")[0], "expiresAt").as_f64().expect("expiresAt is a number");
    assert!(
        expires_at >= before + 120_000.0 - 50.0 && expires_at <= after + 120_000.0 + 50.0,
        "expiresAt {expires_at} is about now + 120 s ({before}..{after})"
    );
    assert_eq!(token(&k).await.as_deref(), Some("L1"));
    let login = requests_to(LOGIN, start).remove(0);
    assert_eq!(get(&login, "method").as_string().as_deref(), Some("POST"));
    let body = js(&get(&login, "body").as_string().expect("a body"));
    assert_eq!(get(&body, "user").as_string().as_deref(), Some("ada"));
    assert_eq!(get(&get(&login, "headers"), "content-type").as_string().as_deref(), Some("application/json"));

    stub_route(LOGIN, r#"[{"status":401,"json":{"error":"bad credentials"}}]"#);
    let message = error_message(
        settle(k.login(js(r#"{"user":"ada","password":"wrong"}"#).unchecked_into())).await.expect_err("rejects"),
    );
    assert!(message.contains("401"), "{message}");
    k.dispose();
}

#[wasm_bindgen_test]
async fn login_rejects_replies_that_are_not_a_session_and_setsession_checks_its_token() {
    stub_reset();
    stub_route(REFRESH, r#"[{"status":401}]"#);
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","loginUrl":"{LOGIN}","logoutUrl":"{LOGOUT}","siblingWaitMs":10,"channelName":"{}"}}"#,
        channel("login-strict")
    ));
    assert!(eventually(1000, || !state_bool(&k, "restoring")).await);
    // A wrong loginUrl serving the app's HTML must not pass for a cookie session.
    stub_route(LOGIN, r#"[{"status":200,"text":"<!doctype html><title>app</title>"}]"#);
    let message = error_message(settle(k.login(js(r#"{}"#).unchecked_into())).await.expect_err("rejects"));
    assert!(message.contains("not JSON"), "{message}");
    // A misspelt token key with an expiry is an error, not a cookie session.
    stub_route(LOGIN, r#"[{"status":200,"json":{"acessToken":"x","expiresIn":300}}]"#);
    let message = error_message(settle(k.login(js(r#"{}"#).unchecked_into())).await.expect_err("rejects"));
    assert!(message.contains("accessToken"), "{message}");
    assert!(!state_bool(&k, "authenticated"));
    // Under one second a token would be refreshed in a loop.
    let err = k
        .set_session(js(r#"{"accessToken":"t","expiresIn":0.5}"#).unchecked_into())
        .err()
        .map(|e| error_message(e.into()))
        .unwrap_or_default();
    assert!(err.contains("expiresIn") && err.contains(">= 1"), "{err}");
    // The logout POST is sent with keepalive, so navigating away cannot cancel it.
    set_session(&k, r#"{"accessToken":"t","expiresIn":60}"#);
    let start = stub_seq();
    settle(k.logout()).await.expect("logout resolves");
    assert!(eventually(1000, || stub_count(LOGOUT, start) == 1).await);
    assert_eq!(get(&requests_to(LOGOUT, start)[0], "keepalive").as_bool(), Some(true));
    k.dispose();
}

#[wasm_bindgen_test]
async fn login_without_a_reply_rejects_and_starts_nothing() {
    stub_reset();
    let k = keeper(&format!(
        r#"{{"loginUrl":"{LOGIN}","requestTimeoutMs":100,"siblingWaitMs":10,"channelName":"{}"}}"#,
        channel("login-no-reply")
    ));
    for (spec, what) in [(r#"[{"network":true}]"#, "network error"), (r#"[{"status":200,"delay":5000}]"#, "timeout")] {
        stub_route(LOGIN, spec);
        let result = settle(k.login(js(r#"{"user":"ada"}"#).unchecked_into())).await;
        let message = error_message(result.expect_err(what));
        assert!(message.contains("no reply from loginUrl"), "{what}: {message}");
        assert!(!state_bool(&k, "authenticated"), "{what}");
    }
    k.dispose();
}

#[wasm_bindgen_test]
async fn login_rejects_a_body_json_cannot_encode_and_options_reject_bad_headers() {
    stub_reset();
    let k = keeper(&format!(r#"{{"loginUrl":"{LOGIN}","siblingWaitMs":10,"channelName":"{}"}}"#, channel("bigint")));
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &JsValue::from_str("n"), &js_sys::BigInt::from(1u32).into());
    let start = stub_seq();
    let message = error_message(settle(k.login(body.unchecked_into())).await.expect_err("a BigInt body rejects"));
    assert!(message.contains("JSON.stringify"), "{message}");
    assert_eq!(stub_count(LOGIN, start), 0, "nothing is sent");
    k.dispose();

    // What the browser refuses, in its words (Firefox and WebKit name the header).
    let message = try_keeper(js(r#"{"headers":{"bad name":"v"}}"#)).err().unwrap_or_default();
    assert!(message.contains("`headers`") && message.contains("the browser refuses one: "), "{message}");
    // A value that is not a string would go out as "undefined" or "null".
    let message = try_keeper(js(r#"{"headers":{"X-CSRFToken":null}}"#)).err().unwrap_or_default();
    assert!(message.contains("`headers` must be an object of header names to string values"), "{message}");
}

#[wasm_bindgen_test]
async fn the_login_tokens_lifetime_counts_from_when_the_request_was_sent() {
    stub_reset();
    stub_route(LOGIN, r#"[{"status":200,"delay":500,"json":{"accessToken":"t","expiresIn":2}}]"#);
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","loginUrl":"{LOGIN}","idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel("login-lifetime")
    ));
    let before = now();
    settle(k.login(JsValue::NULL.unchecked_into())).await.expect("login resolves");
    let expires = state_num(&k, "tokenExpiresAt").expect("a token session");
    // Counted from the reply it would be at least before + 500 + 2000.
    assert!(expires < before + 2000.0 + 250.0, "expiry {} ms after the send", expires - before);
    k.dispose();
}

#[wasm_bindgen_test]
async fn the_sdks_requests_carry_the_default_or_the_configured_headers() {
    stub_reset();
    stub_route(REFRESH, r#"[{"status":200,"json":{"accessToken":"t","expiresIn":60}}]"#);
    stub_route(LOGIN, r#"[{"status":200,"json":{}}]"#);
    for (options, header, value, absent) in [
        (r#""#, "x-requested-with", "XMLHttpRequest", "x-csrf"),
        (r#","headers":{"X-CSRF":"abc"}"#, "x-csrf", "abc", "x-requested-with"),
    ] {
        let start = stub_seq();
        let k = keeper(&format!(
            r#"{{"refreshUrl":"{REFRESH}","loginUrl":"{LOGIN}","siblingWaitMs":10,"channelName":"{}"{options}}}"#,
            channel(header)
        ));
        assert!(eventually(1000, || stub_count(REFRESH, start) == 1).await, "the restore refresh");
        let _ = settle(k.login(js(r#"{"u":"a"}"#).unchecked_into())).await;
        for path in [REFRESH, LOGIN] {
            let request = requests_to(path, start).remove(0);
            let headers = get(&request, "headers");
            assert_eq!(get(&headers, header).as_string().as_deref(), Some(value), "{path} {options}");
            assert!(get(&headers, absent).is_undefined(), "{path} {options}: {absent} replaced");
        }
        k.dispose();
    }
}

/// After a refresh was triggered: one `error` event per failed reply, of each
/// kind in turn, the keeper signed in throughout, then the good token (from a
/// reply with accessToken "good") and no logout.
async fn refresh_errors_then_good(k: &SessionKeeper, events: &Events, start: u32, kinds: &[&str]) {
    for (i, kind) in kinds.iter().enumerate() {
        let n = i + 1;
        assert!(events.wait_for("error", n, 2000).await, "error event #{n} ({kind})");
        let detail = events.details("error").remove(i);
        assert_eq!(get(&detail, "kind").as_string().as_deref(), Some(*kind), "error #{n}");
        assert_eq!(get(&detail, "operation").as_string().as_deref(), Some("refresh"), "error #{n}");
        assert!(get(&detail, "message").as_string().is_some_and(|m| !m.is_empty()));
        assert!(state_bool(k, "authenticated"), "a failed refresh #{n} does not log out");
        assert_eq!(stub_count(REFRESH, start), n as u32);
        // Skip the retry backoff: coming back online retries at once.
        dispatch_on("window", "online");
    }
    assert!(events.wait_for("refresh", 1, 1000).await, "the good reply is adopted");
    assert_eq!(token(k).await.as_deref(), Some("good"));
    assert_eq!(stub_count(REFRESH, start), kinds.len() as u32 + 1);
    assert_eq!(events.count("error"), kinds.len());
    assert_eq!(events.count("logout"), 0);
}

#[wasm_bindgen_test]
async fn a_malformed_refresh_reply_is_an_error_event_and_the_keeper_recovers() {
    stub_reset();
    let k = token_keeper("malformed");
    let events = Events::of(&k);
    set_session(&k, r#"{"accessToken":"t0","expiresIn":60}"#);
    stub_route(
        REFRESH,
        r#"[{"status":200,"text":"not json"},
            {"status":200,"json":{"accessToken":""}},
            {"status":200,"json":{"accessToken":"x","expiresIn":"soon"}},
            {"status":200,"json":{"accessToken":"good","expiresIn":60}}]"#,
    );
    stub_route(DATA, r#"[{"status":401}]"#);
    let start = stub_seq();

    // The 401 marks the token rejected; the refresh that follows gets "not json".
    let result = fetch(&k, DATA).await;
    let message = error_message(result.expect_err("no token after a malformed refresh"));
    assert!(message.contains("no valid access token"), "{message}");
    refresh_errors_then_good(&k, &events, start, &["malformed"; 3]).await;
    k.dispose();
}

#[wasm_bindgen_test]
async fn transient_refresh_failures_including_a_stalled_body_are_reported_by_kind_and_retried() {
    stub_reset();
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","requestTimeoutMs":100,"idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel("transient")
    ));
    let events = Events::of(&k);
    set_session(&k, r#"{"accessToken":"t0","expiresIn":60}"#);
    stub_route(
        REFRESH,
        r#"[{"status":200,"delay":5000,"json":{"accessToken":"late","expiresIn":60}},
            {"status":200,"stall":true},
            {"network":true},
            {"status":503},
            {"status":429,"headers":{"Retry-After":"0"}},
            {"status":200,"json":{"accessToken":"good","expiresIn":60}}]"#,
    );
    stub_route(DATA, r#"[{"status":401}]"#);
    let start = stub_seq();

    // The 401 marks the token rejected; the refresh that follows hangs past
    // requestTimeoutMs, the next sends its headers and then stalls. Not
    // awaited here: with no timeout on the body it would never settle.
    let pending = k.fetch(JsValue::from_str(DATA).unchecked_into(), None);
    let kinds = ["timeout", "timeout", "network", "server", "rate-limited"];
    refresh_errors_then_good(&k, &events, start, &kinds).await;
    let _ = settle(pending).await;
    k.dispose();
}

/// gloo-net's `Request::send` panics when `fetch` fulfils with a non-Response;
/// a page's broken fetch wrapper must cost one `network` error, not the module.
#[wasm_bindgen_test]
async fn a_fetch_that_fulfils_with_a_non_response_is_a_network_error_and_the_keeper_goes_on() {
    stub_reset();
    let k = token_keeper("not-a-response");
    let events = Events::of(&k);
    set_session(&k, r#"{"accessToken":"t0","expiresIn":60}"#);
    stub_route(REFRESH, r#"[{"notResponse":true},{"status":200,"json":{"accessToken":"good","expiresIn":60}}]"#);
    stub_route(DATA, r#"[{"status":401}]"#);
    let start = stub_seq();

    // The 401 marks the token rejected; the refresh that follows gets the fake reply.
    let result = fetch(&k, DATA).await;
    assert!(result.is_err(), "no token while the only reply was not a Response");
    refresh_errors_then_good(&k, &events, start, &["network"]).await;
    stub_route(DATA, r#"[{"status":200,"text":"ok"}]"#);
    let after = fetch(&k, DATA).await.expect("the keeper still sends requests");
    assert_eq!(after.status(), 200);
    k.dispose();
}

#[wasm_bindgen_test]
async fn retry_after_as_an_http_date_is_honoured() {
    stub_reset();
    let k = token_keeper("retry-after-date");
    let events = Events::of(&k);
    set_session(&k, r#"{"accessToken":"t0","expiresIn":60}"#);
    let date = js_sys::Date::new(&JsValue::from_f64(now() + 4000.0)).to_utc_string();
    stub_route(
        REFRESH,
        &format!(
            r#"[{{"status":429,"headers":{{"Retry-After":"{}"}}}},{{"status":200,"json":{{"accessToken":"good","expiresIn":60}}}}]"#,
            String::from(date)
        ),
    );
    stub_route(DATA, r#"[{"status":401}]"#);
    let start = stub_seq();
    let pending = k.fetch(JsValue::from_str(DATA).unchecked_into(), None);
    assert!(events.wait_for("error", 1, 2000).await);
    assert_eq!(get(&events.details("error")[0], "kind").as_string().as_deref(), Some("rate-limited"));
    // The normal first backoff is at most 1 s; the date says 3 s or more.
    sleep(1500).await;
    assert_eq!(stub_count(REFRESH, start), 1, "no retry before the Retry-After date");
    k.dispose();
    let _ = settle(pending).await;
}

#[wasm_bindgen_test]
async fn a_401_to_the_restore_refresh_does_not_end_a_session_started_meanwhile() {
    stub_reset();
    // A new tab with no sibling tries the refresh cookie; the server is slow and says 401.
    stub_route(REFRESH, r#"[{"status":401,"delay":200}]"#);
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","idleTimeoutMs":60000,"siblingWaitMs":10,"channelName":"{}"}}"#,
        channel("restore-race")
    ));
    let events = Events::of(&k);
    assert!(eventually(1000, || stub_count(REFRESH, 0) == 1).await, "the restore refresh is in flight");
    // Meanwhile the app's own login flow completes.
    set_session(&k, r#"{"accessToken":"fresh","expiresIn":60}"#);
    assert_eq!(events.count("login"), 1);
    sleep(300).await;
    let logouts: Vec<_> = events.details("logout").iter().map(json_stringify).collect();
    assert!(logouts.is_empty(), "the new session was ended by the old request's 401: {logouts:?}");
    assert!(state_bool(&k, "authenticated"));
    assert_eq!(token(&k).await.as_deref(), Some("fresh"));
    k.dispose();
}

const KEEPALIVE: &str = "/api/keepalive";

#[wasm_bindgen_test]
async fn an_idle_timeout_longer_than_the_server_timeout_keeps_pinging_while_present_then_stops() {
    stub_reset();
    stub_route(KEEPALIVE, r#"[{"status":200}]"#);
    // The server forgets the session after 400 ms; the user counts as present
    // for 1200 ms after the login, without any further input.
    let k = keeper(&format!(
        r#"{{"keepaliveUrl":"{KEEPALIVE}","sessionTimeoutMs":400,"idleTimeoutMs":1200,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel("idle-beyond-session")
    ));
    let events = Events::of(&k);
    let start = stub_seq();
    set_session(&k, "{}");
    assert!(events.wait_for("logout", 1, 4000).await, "idle logout at the idle deadline");
    assert_eq!(events.count("error"), 0, "every heartbeat succeeded");
    let pings = stub_count(KEEPALIVE, start);
    assert!(pings >= 2, "heartbeats kept the 400 ms server session alive for 1200 ms: {pings}");
    assert_eq!(get(&events.details("logout")[0], "reason").as_string().as_deref(), Some("idle"));
    sleep(600).await;
    assert_eq!(stub_count(KEEPALIVE, start), pings, "no heartbeat once idle");
    k.dispose();
}

#[wasm_bindgen_test]
async fn what_a_keepalive_reply_means_a_lost_session_an_error_or_a_heartbeat() {
    // The first keepalive's reply, and what it must cause.
    let cases = [
        // Django's HttpResponse(status=204): no body, but Content-Type text/html.
        (r#"{"status":204,"headers":{"Content-Type":"text/html; charset=utf-8"}}"#, "heartbeat"),
        (r#"{"status":200,"json":{"ok":true}}"#, "heartbeat"),
        // A login page (or the app's fallback page) served with 200.
        (
            r#"{"status":200,"text":"\n<!DOCTYPE html><title>Sign in</title>","headers":{"Content-Type":"text/html"}}"#,
            "malformed",
        ),
        (r#"{"status":404,"text":"not found"}"#, "server"),
        // Laravel's "page expired", IIS's "login time-out", and status 0: a redirect not followed.
        (r#"{"status":419}"#, "revoked"),
        (r#"{"status":440}"#, "revoked"),
        (r#"{"status0":true}"#, "revoked"),
    ];
    for (reply, outcome) in cases {
        stub_reset();
        stub_route(KEEPALIVE, &format!("[{reply}]"));
        let k = keeper(&format!(
            r#"{{"keepaliveUrl":"{KEEPALIVE}","sessionTimeoutMs":400,"idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{}"}}"#,
            channel("keepalive-replies")
        ));
        let events = Events::of(&k);
        set_session(&k, "{}");
        match outcome {
            "heartbeat" => {
                assert!(events.wait_for("heartbeat", 1, 2000).await, "{reply}: a heartbeat");
                assert_eq!(events.count("error"), 0, "{reply}: no error");
            }
            "revoked" => {
                assert!(events.wait_for("logout", 1, 2000).await, "{reply}: the session ends");
                let logout = events.details("logout").remove(0);
                assert_eq!(get(&logout, "reason").as_string().as_deref(), Some("revoked"), "{reply}");
            }
            kind => {
                assert!(events.wait_for("error", 1, 2000).await, "{reply}: an error event");
                let error = events.details("error").remove(0);
                assert_eq!(get(&error, "kind").as_string().as_deref(), Some(kind), "{reply}");
                assert_eq!(events.count("heartbeat"), 0, "{reply}: no heartbeat");
                assert!(state_bool(&k, "authenticated"), "{reply}: still signed in, retrying");
            }
        }
        let sent = requests_to(KEEPALIVE, 0);
        assert!(!sent.is_empty() && sent.iter().all(|r| get(r, "redirect").as_string().as_deref() == Some("manual")));
        k.dispose();
    }
}

#[wasm_bindgen_test]
async fn a_headers_function_is_called_for_each_request_and_one_that_fails_sends_nothing() {
    stub_reset();
    stub_route(KEEPALIVE, r#"[{"status":204}]"#);
    stub_route(LOGOUT, r#"[{"status":204}]"#);
    // As a CSRF token read from a cookie: there, missing (it throws), null, there again.
    let headers = scripted_callback(
        "headers",
        r#"[{"plain":{"X-CSRFToken":"first"}},{"throw":true},{"plain":{"X-CSRFToken":null}},{"plain":{"X-CSRFToken":"fourth"}}]"#,
    );
    let options = callback_options(
        "headers-function",
        &format!(r#""keepaliveUrl":"{KEEPALIVE}","logoutUrl":"{LOGOUT}","sessionTimeoutMs":400,"idleTimeoutMs":60000"#),
        &[("headers", &headers)],
    );
    let k = try_keeper(options).expect("a function is a valid headers option");
    let events = Events::of(&k);
    set_session(&k, "{}");
    assert!(events.wait_for("heartbeat", 2, 8000).await, "heartbeats before and after the failures");
    let errors = events.details("error");
    assert_eq!(errors.len(), 2, "one error for the throw, one for the null value");
    for e in &errors {
        assert_eq!(get(e, "kind").as_string().as_deref(), Some("rejected"));
        assert!(get(e, "message").as_string().unwrap_or_default().contains("`headers` function"));
    }
    let csrf: Vec<Option<String>> =
        requests_to(KEEPALIVE, 0).iter().map(|r| get(&get(r, "headers"), "x-csrftoken").as_string()).collect();
    assert_eq!(csrf[..2], [Some("first".into()), Some("fourth".into())], "nothing sent without a token: {csrf:?}");
    assert!(state_bool(&k, "authenticated"), "a failing headers function is no lost session");
    let _ = k.logout();
    assert!(eventually(1000, || stub_count(LOGOUT, 0) == 1).await);
    let logout = requests_to(LOGOUT, 0).remove(0);
    assert_eq!(get(&get(&logout, "headers"), "x-csrftoken").as_string().as_deref(), Some("fourth"));
    assert!(calls("headers").0 >= 5, "called for each request: four keepalives and the logout");
    k.dispose();
}

// ---- 7. the app's callbacks in place of requests (src/web/callback.rs) --------------------------

/// Options from JSON fields plus the app's callbacks, on a fresh channel.
fn callback_options(test: &str, fields: &str, callbacks: &[(&str, &js_sys::Function)]) -> JsValue {
    let options = js(&format!(r#"{{{fields},"siblingWaitMs":50,"channelName":"{}"}}"#, channel(test)));
    for (name, f) in callbacks {
        Reflect::set(&options, &JsValue::from_str(name), f).expect("set a callback option");
    }
    options
}

fn calls(name: &str) -> (u32, u32) {
    let rec = callback_calls(name);
    let n = |k: &str| get(&rec, k).as_f64().unwrap_or(0.0) as u32;
    (n("calls"), n("maxInFlight"))
}

#[wasm_bindgen_test]
async fn a_refresh_callback_is_the_token_source_and_every_kind_of_result_is_handled() {
    stub_reset();
    let refresh = scripted_callback(
        "refresh",
        r#"[{"resolve":{"accessToken":"cb-1","expiresIn":60}},
            {"reject":true},
            {"throw":true},
            {"hang":true},
            {"resolve":{"token":"wrong shape"}},
            {"resolve":{"accessToken":"x","expiresIn":0.5}},
            {"plain":{"access_token":"good","expires_in":60}},
            {"resolve":null}]"#,
    );
    let options =
        callback_options("cb-refresh", r#""requestTimeoutMs":150,"idleTimeoutMs":60000"#, &[("refresh", &refresh)]);
    let k = try_keeper(options).unwrap_or_else(|m| panic!("constructor threw: {m}"));
    let events = Events::of(&k);
    stub_route(DATA, r#"[{"status":200,"json":{"ok":true}}]"#);
    let start = stub_seq();

    // No sibling answers: the restore asks the callback, whose token signs the request.
    assert_eq!(token(&k).await.as_deref(), Some("cb-1"));
    assert!(state_bool(&k, "authenticated"));
    fetch(&k, DATA).await.expect("fetch with the callback's token");
    assert_eq!(requests_to(DATA, start).iter().map(auth_of).collect::<Vec<_>>(), [Some("Bearer cb-1".to_owned())]);
    assert_eq!(stub_count(REFRESH, 0), 0, "no request to any refresh URL");

    // A 401 rejects the token: the callback is asked again, and each failure
    // is an error of its own kind, retried; the session stays.
    stub_route(DATA, r#"[{"status":401}]"#);
    let pending = k.fetch(JsValue::from_str(DATA).unchecked_into(), None);
    let kinds = ["rejected", "rejected", "timeout", "malformed", "malformed"];
    for (i, kind) in kinds.iter().enumerate() {
        assert!(events.wait_for("error", i + 1, 2000).await, "error #{} ({kind})", i + 1);
        let detail = events.details("error").remove(i);
        assert_eq!(get(&detail, "kind").as_string().as_deref(), Some(*kind), "error #{}", i + 1);
        assert_eq!(get(&detail, "operation").as_string().as_deref(), Some("refresh"));
        let message = get(&detail, "message").as_string().unwrap_or_default();
        assert!(message.contains("callback"), "the message names the callback: {message}");
        assert!(state_bool(&k, "authenticated"), "a failed callback #{} does not log out", i + 1);
        dispatch_on("window", "online");
    }
    // A plain (not promised) value with the OAuth field names is a token too.
    assert!(events.wait_for("refresh", 1, 1000).await, "the good result is adopted");
    let _ = settle(pending).await;
    assert_eq!(token(&k).await.as_deref(), Some("good"));
    assert_eq!(calls("refresh").0, 7);
    assert_eq!(events.count("logout"), 0);

    // `null`: the session is over, in the tab's words `revoked`.
    stub_route(DATA, r#"[{"status":401}]"#);
    let _ = fetch(&k, DATA).await;
    assert!(events.wait_for("logout", 1, 1000).await, "null ends the session");
    assert_eq!(get(&events.details("logout")[0], "reason").as_string().as_deref(), Some("revoked"));
    assert_eq!(calls("refresh").0, 8);
    k.dispose();
}

#[wasm_bindgen_test]
async fn a_keepalive_callback_touches_the_session_and_false_ends_it_and_logout_calls_its_callback() {
    stub_reset();
    let keepalive = scripted_callback("keepalive", r#"[{"resolve":true},{"plain":7},{"resolve":false}]"#);
    let logout = scripted_callback("logout", r#"[{"reject":true}]"#);
    let options = callback_options(
        "cb-keepalive",
        r#""sessionTimeoutMs":400,"idleTimeoutMs":1200"#,
        &[("keepalive", &keepalive), ("logout", &logout)],
    );
    let k = try_keeper(options).unwrap_or_else(|m| panic!("constructor threw: {m}"));
    let events = Events::of(&k);
    set_session(&k, "{}");
    // Activity keeps the user present; the leader pings through the callback
    // (about every 300 ms here): wait for two pings, up to 3 s on a loaded machine.
    for _ in 0..150 {
        dispatch_on("window", "pointerdown");
        sleep(20).await;
        if events.count("heartbeat") >= 1 && events.count("error") >= 1 {
            break;
        }
    }
    assert_eq!(events.count("heartbeat"), 1, "true touched the session");
    let detail = events.details("error").first().cloned().unwrap_or(JsValue::NULL);
    assert_eq!(get(&detail, "kind").as_string().as_deref(), Some("malformed"), "7 is not a keepalive result");
    assert_eq!(get(&detail, "operation").as_string().as_deref(), Some("heartbeat"));
    dispatch_on("window", "online");
    assert!(events.wait_for("logout", 1, 2000).await, "false ends the session");
    assert_eq!(get(&events.details("logout")[0], "reason").as_string().as_deref(), Some("revoked"));
    assert_eq!(calls("keepalive").0, 3);
    assert_eq!(stub_requests().length(), 0, "no request at all: the callbacks are the transport");

    // logout() calls the logout callback; its rejection is ignored.
    set_session(&k, "{}");
    k.logout();
    assert!(eventually(500, || calls("logout").0 == 1).await, "the logout callback was called");
    assert!(!state_bool(&k, "authenticated"));
    k.dispose();
}

#[wasm_bindgen_test]
async fn a_tab_whose_refresh_answers_elsewhere_is_served_by_the_tab_that_can_until_none_is_left() {
    stub_reset();
    let able = scripted_callback("refresh-able", r#"[{"resolve":{"accessToken":"from-a","expiresIn":60}}]"#);
    let unable = scripted_callback("refresh-unable", r#"[{"resolve":"elsewhere"}]"#);
    let logout = scripted_callback("logout-unable", r#"[{"resolve":null}]"#);
    let fields = r#""requestTimeoutMs":300,"idleTimeoutMs":60000"#;
    // Two tabs on one channel, each with its own token source.
    let shared = callback_options("cb-elsewhere", fields, &[]);
    let tab = |callbacks: &[(&str, &js_sys::Function)]| {
        let options = js_sys::Object::assign(&js_sys::Object::new(), shared.unchecked_ref());
        for (name, f) in callbacks {
            Reflect::set(&options, &JsValue::from_str(name), f).expect("set a callback option");
        }
        try_keeper(options.into()).unwrap_or_else(|m| panic!("constructor threw: {m}"))
    };
    let a = tab(&[("refresh", &able)]);
    let b = tab(&[("refresh", &unable), ("logout", &logout)]);
    let events = Events::of(&b);
    set_session(&a, r#"{"accessToken":"signed-in","expiresIn":60}"#);
    assert!(eventually(1000, || state_bool(&b, "authenticated")).await, "b joined the session");
    let refresher = |k: &SessionKeeper| get(&state(k), "refresher").as_string().unwrap_or_default();
    assert_eq!((refresher(&a), refresher(&b)), ("this".to_owned(), "other".to_owned()));

    // A 401 in b: b's own token source cannot refresh, so a refreshes for it,
    // and b's request is retried with a's new token.
    stub_route(DATA, r#"[{"status":401},{"status":200,"json":{"ok":true}}]"#);
    let start = stub_seq();
    let response = fetch(&b, DATA).await.expect("fetch resolves");
    assert_eq!(response.status(), 200);
    let auth: Vec<_> = requests_to(DATA, start).iter().map(auth_of).collect();
    assert_eq!(auth, [Some("Bearer signed-in".to_owned()), Some("Bearer from-a".to_owned())]);
    assert_eq!((calls("refresh-unable").0, calls("refresh-able").0), (1, 1));
    assert_eq!((refresher(&a), refresher(&b)), ("this".to_owned(), "unable".to_owned()));
    assert_eq!(events.count("logout"), 0, "'elsewhere' does not end the session");

    // The tab that can is gone: nobody answers b's ask, and the session is over.
    a.dispose();
    stub_route(DATA, r#"[{"status":401}]"#);
    let _ = fetch(&b, DATA).await;
    assert!(events.wait_for("logout", 1, 2000).await, "no tab can refresh: the session ends");
    assert_eq!(get(&events.details("logout")[0], "reason").as_string().as_deref(), Some("revoked"));
    assert_eq!(calls("refresh-unable").0, 1, "b did not call its own refresh again");
    assert_eq!(calls("logout-unable").0, 1, "b, where it ended, called its logout callback");
    b.dispose();
}

#[wasm_bindgen_test]
async fn a_refresh_callback_is_never_called_in_two_tabs_at_once() {
    stub_reset();
    let refresh =
        scripted_callback("refresh-two", r#"[{"resolve":{"accessToken":"slow","expiresIn":60},"delay":150}]"#);
    let options = callback_options("cb-two", r#""idleTimeoutMs":60000"#, &[("refresh", &refresh)]);
    let a = try_keeper(options.clone()).unwrap_or_else(|m| panic!("constructor threw: {m}"));
    let b = try_keeper(options).unwrap_or_else(|m| panic!("constructor threw: {m}"));
    // Both tabs restore at once and want a token (promises run eagerly).
    let (pa, pb) = (a.get_access_token(), b.get_access_token());
    let ta = settle(pa).await.ok().and_then(|t| t.as_string());
    let tb = settle(pb).await.ok().and_then(|t| t.as_string());
    assert_eq!((ta.as_deref(), tb.as_deref()), (Some("slow"), Some("slow")));
    let (n, max_at_once) = calls("refresh-two");
    // Without the lock both tabs would call at once (150 ms each). With it,
    // the second tab mostly takes the first's token; if its lock grant
    // overtakes that message, it calls after the first has finished.
    assert_eq!(max_at_once, 1, "never two calls at once");
    assert!((1..=2).contains(&n), "{n} calls");
    a.dispose();
    b.dispose();
}

#[wasm_bindgen_test]
fn a_url_and_its_callback_together_or_a_callback_that_is_not_a_function_are_options_errors() {
    stub_reset();
    let f = scripted_callback("unused", r#"[{"resolve":null}]"#);
    for (fields, name, expected) in [
        (r#""refreshUrl":"/r""#, "refresh", "replaces refreshUrl"),
        (r#""keepaliveUrl":"/k","sessionTimeoutMs":60000"#, "keepalive", "replaces keepaliveUrl"),
        (r#""logoutUrl":"/o""#, "logout", "replaces logoutUrl"),
    ] {
        let message = try_keeper(callback_options("cb-both", fields, &[(name, &f)])).err().unwrap_or_default();
        assert!(message.contains(&format!("`{name}`")) && message.contains(expected), "{message}");
    }
    let message = try_keeper(js(r#"{"refresh":"/api/auth/refresh"}"#)).err().unwrap_or_default();
    assert!(message.contains("`refresh`") && message.contains("must be a function"), "{message}");
    assert_eq!(live_timers(), 0);
}

// ---- 8. the app's fetch() (src/web/app_fetch.rs) ------------------------------------------------

#[wasm_bindgen_test]
async fn fetch_retries_exactly_once_after_a_401_with_the_refreshed_token() {
    stub_reset();
    let k = token_keeper("retry");
    set_session(&k, r#"{"accessToken":"old","expiresIn":60}"#);
    stub_route(REFRESH, &refresh_reply("new", 60, 0));
    stub_route(DATA, r#"[{"status":401},{"status":200,"json":{"ok":true}}]"#);
    let start = stub_seq();

    let response = fetch(&k, DATA).await.expect("fetch resolves");
    assert_eq!(response.status(), 200);
    let data = requests_to(DATA, start);
    assert_eq!(data.len(), 2, "one try and one retry");
    assert_eq!(auth_of(&data[0]).as_deref(), Some("Bearer old"));
    assert_eq!(auth_of(&data[1]).as_deref(), Some("Bearer new"), "the retry carries the new token");
    assert_eq!(stub_count(REFRESH, start), 1, "exactly one refresh");
    let refresh = requests_to(REFRESH, start).remove(0);
    assert_eq!(get(&refresh, "method").as_string().as_deref(), Some("POST"));
    assert_eq!(get(&refresh, "credentials").as_string().as_deref(), Some("include"));

    // A 401 on the retry is returned as is.
    stub_route(REFRESH, &refresh_reply("newer", 60, 0));
    stub_route(DATA, r#"[{"status":401}]"#);
    let second = stub_seq();
    let response = fetch(&k, DATA).await.expect("fetch resolves");
    assert_eq!(response.status(), 401, "the retry's 401 is the answer");
    sleep(100).await;
    let data = requests_to(DATA, second);
    assert_eq!(data.len(), 2, "no third try");
    assert_eq!(auth_of(&data[0]).as_deref(), Some("Bearer new"));
    assert_eq!(auth_of(&data[1]).as_deref(), Some("Bearer newer"));
    assert_eq!(stub_count(REFRESH, second), 1);
    k.dispose();
}

#[wasm_bindgen_test]
async fn twenty_concurrent_fetches_with_an_expiring_token_cause_one_refresh() {
    stub_reset();
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","refreshLeadMs":1,"idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel("single")
    ));
    stub_route(REFRESH, &refresh_reply("fresh", 60, 100));
    stub_route(DATA, r#"[{"status":200,"json":{"ok":true}}]"#);
    // A 1 s token is not handed out in its last tenth (from 900 ms); with
    // refreshLeadMs 1 the scheduled refresh would come only at 999 ms.
    set_session(&k, r#"{"accessToken":"stale","expiresIn":1}"#);
    let start = stub_seq();
    sleep(930).await;
    assert_eq!(stub_count(REFRESH, start), 0, "no refresh yet");

    let all = Array::new();
    for _ in 0..20 {
        all.push(&k.fetch(JsValue::from_str(DATA).unchecked_into(), None).into());
    }
    let responses: Array = JsFuture::from(Promise::all(&all)).await.expect("all fetches resolve").unchecked_into();
    assert_eq!(responses.length(), 20);
    for r in responses.iter() {
        assert_eq!(r.unchecked_into::<web_sys::Response>().status(), 200);
    }
    assert_eq!(stub_count(REFRESH, start), 1, "exactly one refresh for 20 callers");
    let data = requests_to(DATA, start);
    assert_eq!(data.len(), 20);
    for r in &data {
        assert_eq!(auth_of(r).as_deref(), Some("Bearer fresh"), "every request carries the new token");
    }
    k.dispose();
}

#[wasm_bindgen_test]
async fn fetch_sends_the_token_only_to_the_pages_origin_and_the_listed_urls() {
    stub_reset();
    stub_route(REFRESH, &refresh_reply("t1", 60, 0));
    stub_route("/x", r#"[{"status":401}]"#);
    stub_route("/y", r#"[{"status":200}]"#);
    stub_route("/private/y", r#"[{"status":200}]"#);
    let k = keeper(&format!(
        r#"{{"refreshUrl":"{REFRESH}","tokenUrls":["https://api.example.test","https://cdn.example.test/private/"],"idleTimeoutMs":60000,"siblingWaitMs":50,"channelName":"{}"}}"#,
        channel("token-urls")
    ));
    set_session(&k, r#"{"accessToken":"t0","expiresIn":60}"#);
    let start = stub_seq();
    // Elsewhere: sent untouched, and its 401 is the app's business, not a refresh.
    for url in [
        "https://third.example.test/x",
        "https://api.example.test.evil.test/x",
        "https://cdn.example.test/x",
        "http://api.example.test/x",
    ] {
        let reply = fetch(&k, url).await.expect("the reply comes back as is");
        assert_eq!(reply.status(), 401, "{url}");
    }
    assert!(requests_to("/x", start).iter().all(|r| auth_of(r).is_none()), "no token left the app");
    assert_eq!(stub_count(REFRESH, start), 0, "no refresh for another origin's 401");
    // The page's own origin and the listed ones: with the token.
    let own = js_sys::eval("location.origin").ok().and_then(|o| o.as_string()).expect("an origin") + "/y";
    for url in [own.as_str(), "/y", "https://api.example.test/y", "https://cdn.example.test/private/y?q=1"] {
        let seq = stub_seq();
        assert_eq!(fetch(&k, url).await.expect("a reply").status(), 200, "{url}");
        let sent = stub_requests().iter().find(|r| get(r, "seq").as_f64() == Some(f64::from(seq)));
        assert_eq!(sent.and_then(|r| auth_of(&r)).as_deref(), Some("Bearer t0"), "{url}");
    }
    k.dispose();
    let message = try_keeper(js(r#"{"tokenUrls":["api.example.test"]}"#)).err().unwrap_or_default();
    assert!(message.contains("`tokenUrls` must be an array of http(s) origins"), "{message}");
}

#[wasm_bindgen_test]
async fn fetch_after_dispose_does_not_send_the_token() {
    stub_reset();
    stub_route(DATA, r#"[{"status":200}]"#);
    let k = token_keeper("dispose-fetch");
    set_session(&k, r#"{"accessToken":"after-dispose","expiresIn":60}"#);
    k.dispose();
    assert_eq!(token(&k).await, None, "getAccessToken says there is no token");
    let start = stub_seq();
    let _ = fetch(&k, DATA).await;
    let sent: Vec<_> = requests_to(DATA, start).iter().filter_map(auth_of).collect();
    assert!(sent.is_empty(), "a disposed keeper still sent Authorization: {sent:?}");
}
