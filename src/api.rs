//! The JavaScript facade: `SessionKeeper`, its options and its TypeScript types.
//! Everything from JS is untrusted: options are checked field by field and a
//! bad one throws an `Error` that names it and says what is allowed (and, for
//! a number out of range, what came).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Headers, Request, Response};

use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::core::{digits::push_u64, Config, Engine, Input, Time};
use crate::web::driver::{self, now, Shared, WebConfig};
use crate::web::http::{self, global_fetch};
use crate::web::js_values::{self, State};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Options for `new SessionKeeper(options)`. Durations are milliseconds. */
export interface SessionKeeperOptions {
  /** Endpoint POSTed to keep a cookie/server session alive. Requires `sessionTimeoutMs`. */
  keepaliveUrl?: string;
  /** Endpoint that trades the HttpOnly refresh cookie for `{accessToken, expiresIn}`. */
  refreshUrl?: string;
  /** Endpoint POSTed on logout so the server revokes the session. */
  logoutUrl?: string;
  /** Endpoint `login(body)` POSTs JSON to. */
  loginUrl?: string;
  /** The server's sliding session timeout. Required with `keepaliveUrl`. */
  sessionTimeoutMs?: number;
  /** Least time between heartbeats. Default: min(sessionTimeoutMs / 4, 60000). */
  minHeartbeatIntervalMs?: number;
  /** Inactivity across all tabs before the user counts as gone; may exceed sessionTimeoutMs (heartbeats go on while the user is present). Default: 15 min, or sessionTimeoutMs if shorter. */
  idleTimeoutMs?: number;
  /** Warning before an idle or absolute logout; 0 turns it off. Default: min(60000, idleTimeoutMs / 2). */
  warningMs?: number;
  /** Session ends this long after login whatever the activity. Default: none. */
  absoluteTimeoutMs?: number;
  /** Refresh this long before the token expires (at most half its lifetime). Default: 60000. */
  refreshLeadMs?: number;
  /** Abort the SDK's own requests after this long. Default: 10000. */
  requestTimeoutMs?: number;
  /** A new tab asks sibling tabs for the token this long before refreshing. Default: 300. */
  siblingWaitMs?: number;
  /** Events that count as activity. Default: pointerdown, pointermove, keydown, wheel, scroll, touchstart, focus. */
  activityEvents?: string[];
  /** Headers on the SDK's own requests; they replace the default { "X-Requested-With": "XMLHttpRequest" }, so keep it if your server checks it. */
  headers?: Record<string, string>;
  /** BroadcastChannel and lock name prefix. Default: "keep-session-alive". */
  channelName?: string;
  /** Log out at the idle timeout; when false only an `idle` event fires. Default: true. */
  logoutOnIdle?: boolean;
}

/** A snapshot of the session; never contains the token. Times are `Date.now()` milliseconds. */
export interface SessionState {
  authenticated: boolean;
  restoring: boolean;
  idle: boolean;
  leader: boolean;
  online: boolean;
  tabId: string;
  tokenExpiresAt: number | null;
  lastActivity: number | null;
  lastHeartbeat: number | null;
  lastRefresh: number | null;
  warningRemainingMs: number | null;
  idleAt: number | null;
  absoluteAt: number | null;
  ignoredMessages: number;
  /** Active `holdActive()` holds across all tabs. */
  holds: number;
}

/** The `detail` of each event. */
export interface SessionEventMap {
  activity: {};
  idle: {};
  heartbeat: {};
  warning: { remainingMs: number; cause: "idle" | "absolute" };
  timeout: { cause: "idle" | "absolute" };
  refresh: { expiresAt: number };
  login: { expiresAt: number | null };
  /** `reason` is the cause wherever the logout began; `remote` is true in the tabs that heard of it from another. */
  logout: { reason: "user" | "idle" | "absolute" | "revoked"; remote: boolean };
  leader: { leader: boolean };
  error: {
    operation: "heartbeat" | "refresh";
    kind: "network" | "timeout" | "server" | "rate-limited" | "malformed";
    message: string;
  };
}

export interface SessionKeeper {
  addEventListener<K extends keyof SessionEventMap>(type: K, listener: (event: CustomEvent<SessionEventMap[K]>) => void): void;
  removeEventListener<K extends keyof SessionEventMap>(type: K, listener: (event: CustomEvent<SessionEventMap[K]>) => void): void;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `SessionKeeperOptions`.
    #[wasm_bindgen(typescript_type = "SessionKeeperOptions")]
    pub type OptionsArg;
    /// Any JSON-serializable login body.
    #[wasm_bindgen(typescript_type = "unknown")]
    pub type LoginBody;
    /// `{accessToken?, expiresIn?}`.
    #[wasm_bindgen(typescript_type = "{ accessToken?: string; expiresIn?: number }")]
    pub type SessionArg;
    /// `SessionState`.
    #[wasm_bindgen(typescript_type = "SessionState")]
    pub type StateObject;
    /// `Promise<string | null>`.
    #[wasm_bindgen(typescript_type = "Promise<string | null>")]
    pub type TokenPromise;
    /// `Promise<void>`.
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type VoidPromise;
    /// `Promise<Response>`.
    #[wasm_bindgen(typescript_type = "Promise<Response>")]
    pub type ResponsePromise;
    /// `RequestInfo | URL`.
    #[wasm_bindgen(typescript_type = "RequestInfo | URL")]
    pub type RequestInput;
    /// `RequestInit`.
    #[wasm_bindgen(typescript_type = "RequestInit")]
    pub type RequestInitArg;

    /// The `Request` class, for its constructor (web-sys' take typed inputs).
    #[wasm_bindgen(js_name = Request)]
    type RequestClass;
    /// `new Request(input, init)`: accepts whatever `fetch()` accepts and throws what it throws.
    #[wasm_bindgen(catch, constructor, js_class = "Request")]
    fn new(input: &JsValue, init: &JsValue) -> Result<RequestClass, JsValue>;
}

/// The options as given: the engine's part, still to be validated, and the driver's extras.
struct Parsed {
    config: Config,
    activity_events: Option<Vec<String>>,
    headers: Option<Headers>,
}

/// Where an option's value goes, and so how it is checked.
enum Slot {
    Url(fn(&mut Parsed) -> &mut Option<String>),
    Text(fn(&mut Parsed) -> &mut String),
    Millis(fn(&mut Parsed) -> &mut Option<u64>),
    MillisOr(fn(&mut Parsed) -> &mut u64),
    Flag(fn(&mut Parsed) -> &mut bool),
    Events(fn(&mut Parsed) -> &mut Option<Vec<String>>),
    Headers(fn(&mut Parsed) -> &mut Option<Headers>),
}

/// Every option, by its JS name: each name is written once, and each kind of
/// value is checked in one place (the TypeScript interface above lists the same).
const OPTIONS: [(&str, Slot); 16] = [
    ("keepaliveUrl", Slot::Url(|p| &mut p.config.keepalive_url)),
    ("refreshUrl", Slot::Url(|p| &mut p.config.refresh_url)),
    ("logoutUrl", Slot::Url(|p| &mut p.config.logout_url)),
    ("loginUrl", Slot::Url(|p| &mut p.config.login_url)),
    ("sessionTimeoutMs", Slot::Millis(|p| &mut p.config.session_timeout_ms)),
    ("minHeartbeatIntervalMs", Slot::Millis(|p| &mut p.config.min_heartbeat_interval_ms)),
    ("idleTimeoutMs", Slot::Millis(|p| &mut p.config.idle_timeout_ms)),
    ("warningMs", Slot::Millis(|p| &mut p.config.warning_ms)),
    ("absoluteTimeoutMs", Slot::Millis(|p| &mut p.config.absolute_timeout_ms)),
    ("refreshLeadMs", Slot::MillisOr(|p| &mut p.config.refresh_lead_ms)),
    ("requestTimeoutMs", Slot::MillisOr(|p| &mut p.config.request_timeout_ms)),
    ("siblingWaitMs", Slot::MillisOr(|p| &mut p.config.sibling_wait_ms)),
    ("activityEvents", Slot::Events(|p| &mut p.activity_events)),
    ("headers", Slot::Headers(|p| &mut p.headers)),
    ("channelName", Slot::Text(|p| &mut p.config.channel_name)),
    ("logoutOnIdle", Slot::Flag(|p| &mut p.config.logout_on_idle)),
];

fn err(option: &str, problem: &str) -> JsError {
    let mut s = String::from("keep-session-alive: option `");
    s.push_str(option);
    s.push_str("` ");
    s.push_str(problem);
    JsError::new(&s)
}

fn string(k: &str, v: &JsValue) -> Result<String, JsError> {
    v.as_string().ok_or_else(|| err(k, "must be a string"))
}

fn millis(k: &str, v: &JsValue) -> Result<u64, JsError> {
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as u64),
        _ => Err(err(k, "must be a whole, non-negative number of milliseconds")),
    }
}

fn event_names(k: &str, v: &JsValue) -> Result<Vec<String>, JsError> {
    let problem = "must be an array of non-empty event names";
    if !Array::is_array(v) {
        return Err(err(k, problem));
    }
    let mut names = Vec::new();
    for name in v.unchecked_ref::<Array>().iter() {
        match name.as_string() {
            Some(name) if !name.is_empty() => names.push(name),
            _ => return Err(err(k, problem)),
        }
    }
    if names.is_empty() {
        return Err(err(k, problem));
    }
    Ok(names)
}

/// The app's extra headers, built once and checked by the browser now, not
/// dropped silently on every request later (a missing CSRF header would read
/// as a revoked session).
fn header_pairs(k: &str, v: &JsValue) -> Result<Headers, JsError> {
    let problem = "must be an object of header names to string values";
    if !v.is_object() || Array::is_array(v) {
        return Err(err(k, problem));
    }
    let out = Headers::new().map_err(|_| err(k, problem))?;
    for name in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let value = Reflect::get(v, &name).ok().and_then(|x| x.as_string());
        match (name.as_string(), value) {
            (Some(name), Some(value)) if out.set(&name, &value).is_ok() => {}
            (Some(name), Some(_)) => {
                let mut m = String::from("has a header name or value the browser refuses: ");
                m.push_str(&name);
                return Err(err(k, &m));
            }
            _ => return Err(err(k, problem)),
        }
    }
    Ok(out)
}

/// Reads the options object's own keys; an unknown name is an error, not
/// silently ignored (a misspelt `idleTimeoutMS` would otherwise do nothing).
/// A known option set to `undefined` counts as left out.
///
/// Read with `Reflect`, not `serde_wasm_bindgen::from_value`, on purpose.
/// Measured on this code base: the Deserialize side costs +22 KB gzip (its
/// error type formats messages, which links `core::fmt` and float printing),
/// and its deserializer never fires `deny_unknown_fields`, so a misspelt
/// option would be accepted silently. The same holds for server replies and
/// `setSession()`.
fn parse(options: &JsValue) -> Result<Parsed, JsError> {
    if !options.is_object() {
        return Err(JsError::new("keep-session-alive: `new SessionKeeper(options)` needs an options object"));
    }
    let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    let mut p = Parsed { config: Config { seed, ..Config::default() }, activity_events: None, headers: None };
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let k = key.as_string().unwrap_or_default();
        let Some((k, slot)) = OPTIONS.iter().find(|(name, _)| *name == k) else {
            return Err(err(&k, "is not a known option (check its spelling against SessionKeeperOptions)"));
        };
        let v = Reflect::get(options, &key).unwrap_or_default();
        if v.is_undefined() {
            continue;
        }
        match slot {
            Slot::Url(at) => *at(&mut p) = Some(string(k, &v)?),
            Slot::Text(at) => *at(&mut p) = string(k, &v)?,
            Slot::Millis(at) => *at(&mut p) = Some(millis(k, &v)?),
            Slot::MillisOr(at) => *at(&mut p) = millis(k, &v)?,
            Slot::Flag(at) => *at(&mut p) = v.as_bool().ok_or_else(|| err(k, "must be true or false"))?,
            Slot::Events(at) => *at(&mut p) = Some(event_names(k, &v)?),
            Slot::Headers(at) => *at(&mut p) = Some(header_pairs(k, &v)?),
        }
    }
    Ok(p)
}

fn js_error(message: &str) -> JsValue {
    JsError::new(message).into()
}

/// Keeps one tab's session alive. See the package README for the options,
/// events and the server contract.
///
/// # Example
/// ```js
/// const keeper = new SessionKeeper({ refreshUrl: "/api/auth/refresh", loginUrl: "/api/auth/login" });
/// await keeper.login({ email, password });
/// const res = await keeper.fetch("/api/profile");
/// ```
#[wasm_bindgen]
pub struct SessionKeeper {
    shared: Shared,
}

#[wasm_bindgen]
impl SessionKeeper {
    /// Starts keeping the session; throws an `Error` naming any invalid option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: OptionsArg) -> Result<SessionKeeper, JsError> {
        let Parsed { config, activity_events, headers } = parse(&options)?;
        let activity_events = activity_events.unwrap_or_else(|| {
            ["pointerdown", "pointermove", "keydown", "wheel", "scroll", "touchstart", "focus"]
                .map(String::from)
                .to_vec()
        });
        let headers = match headers {
            Some(headers) => headers,
            None => {
                let headers =
                    Headers::new().map_err(|_| JsError::new("keep-session-alive: this browser has no Headers"))?;
                let _ = headers.set("X-Requested-With", "XMLHttpRequest");
                headers
            }
        };
        let tab = (js_sys::Math::random() * 4_503_599_627_370_496.0) as u64;
        // Validates every option; the engine keeps what it needs, the driver the rest.
        let engine = Engine::new(&config, tab, now()).map_err(|e| JsError::new(&e.message()))?;
        let web = WebConfig {
            keepalive_url: config.keepalive_url,
            refresh_url: config.refresh_url,
            logout_url: config.logout_url,
            login_url: config.login_url,
            activity_events,
            headers,
            request_timeout_ms: config.request_timeout_ms,
            channel_name: config.channel_name,
        };
        let shared = driver::start(engine, web)
            .map_err(|_| JsError::new("keep-session-alive: could not create an EventTarget (not a browser?)"))?;
        Ok(SessionKeeper { shared })
    }

    /// POSTs `body` as JSON to `loginUrl`. A reply with `{accessToken, expiresIn}`
    /// starts a token session; an empty or token-less 2xx reply a cookie session.
    pub fn login(&self, body: LoginBody) -> VoidPromise {
        let shared = self.shared.clone();
        let params = driver::request_params(&self.shared, |c| &c.login_url);
        // `undefined` (no argument) sends no body; a body JSON cannot encode
        // (a BigInt, a cycle) is the caller's mistake, not an empty login.
        let json = JSON::stringify(&body).map(|json| json.as_string());
        let sent_at = now();
        future_to_promise(async move {
            let Some(params) = params else {
                return Err(js_error(
                    "keep-session-alive: login() needs the `loginUrl` option; with your own login flow call setSession() instead",
                ));
            };
            let Ok(json) = json else {
                return Err(js_error(
                    "keep-session-alive: login(body) needs a body JSON.stringify accepts (no BigInt, no cycles)",
                ));
            };
            login_replied(&shared, http::post(&params, json).await, sent_at)
        })
        .unchecked_into()
    }

    /// Starts a session obtained by the app's own login flow:
    /// `{accessToken, expiresIn}` (seconds) for a token session, `{}` for a cookie session.
    #[wasm_bindgen(js_name = setSession)]
    pub fn set_session(&self, session: SessionArg) -> Result<(), JsError> {
        let v: &JsValue = &session;
        if !v.is_object() {
            return Err(JsError::new(
                "keep-session-alive: setSession() takes an object: {accessToken, expiresIn} or {}",
            ));
        }
        let token = http::session_from(v).map_err(|()| {
            JsError::new("keep-session-alive: setSession() needs a non-empty `accessToken` string and `expiresIn` >= 1 (seconds), or {} for a cookie session")
        })?;
        driver::handle(&self.shared, Input::SessionStarted(token));
        Ok(())
    }

    /// The current access token, refreshing first if it is about to expire;
    /// `null` when signed out, idle, offline or the refresh failed. Never an expired token.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> TokenPromise {
        driver::token_promise(&self.shared).unchecked_into()
    }

    /// `fetch()` with `Authorization: Bearer <token>` for token sessions. On a
    /// 401 it triggers the shared refresh once and retries once. Successful
    /// replies count as server activity (no heartbeat needed).
    pub fn fetch(&self, input: RequestInput, init: Option<RequestInitArg>) -> ResponsePromise {
        let init: JsValue = init.map_or(JsValue::UNDEFINED, Into::into);
        let request = RequestClass::new(&input, &init);
        let shared = self.shared.clone();
        future_to_promise(async move { authorized_fetch(&shared, request?.unchecked_into()).await }).unchecked_into()
    }

    /// "Stay signed in": counts as activity and dismisses a warning in every tab.
    #[wasm_bindgen(js_name = staySignedIn)]
    pub fn stay_signed_in(&self) {
        driver::handle(&self.shared, Input::StaySignedIn);
    }

    /// "A request to the session's server just succeeded", for app traffic that
    /// does not go through `fetch()` (axios, a WebSocket or SSE message, a form
    /// post): it counts as a server touch in every tab, so no heartbeat is sent
    /// for it.
    pub fn touch(&self) {
        driver::handle(&self.shared, Input::ServerTouched(now()));
    }

    /// Keeps the user present in every tab without input, for a long task (a
    /// video, an upload, a screen share) until `release()` on the handle, or
    /// `dispose()`, or the tab going away. The absolute timeout still applies.
    #[wasm_bindgen(js_name = holdActive)]
    pub fn hold_active(&self, label: Option<String>) -> ActivityHold {
        driver::handle(&self.shared, Input::Hold);
        ActivityHold { shared: Rc::downgrade(&self.shared), label, held: Cell::new(true) }
    }

    /// Logs out in every tab at once and tells the server (`logoutUrl`); stays
    /// logged out even if that call fails.
    pub fn logout(&self) -> VoidPromise {
        driver::handle(&self.shared, Input::Logout);
        Promise::resolve(&JsValue::UNDEFINED).unchecked_into()
    }

    /// A snapshot of the session (never the token).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> StateObject {
        let state = self
            .shared
            .try_borrow()
            .ok()
            .map(|d| State::new(d.engine.snapshot(now()), d.engine.tab(), d.engine.ignored_messages()));
        js_values::to_js(&state).unchecked_into()
    }

    /// Listens for `activity`, `idle`, `warning`, `timeout`, `refresh`, `login`,
    /// `logout`, `heartbeat`, `leader` and `error` (a `CustomEvent` with `detail`).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, kind: &JsValue, listener: &Function) {
        if let Some(events) = driver::event_target(&self.shared) {
            let _ = events.listen(kind, listener, &JsValue::UNDEFINED);
        }
    }

    /// Removes a listener added with `addEventListener`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, kind: &JsValue, listener: &Function) {
        if let Some(events) = driver::event_target(&self.shared) {
            let _ = events.unlisten(kind, listener, false);
        }
    }

    /// Removes every listener, timer, lock and channel; the keeper is inert afterwards.
    pub fn dispose(&self) {
        driver::dispose(&self.shared);
    }
}

/// A hold from `holdActive()`: the user counts as present in every tab until
/// `release()`.
#[wasm_bindgen]
pub struct ActivityHold {
    shared: Weak<RefCell<driver::Driver>>,
    label: Option<String>,
    held: Cell<bool>,
}

#[wasm_bindgen]
impl ActivityHold {
    /// Ends the hold; idle counts from now. Calling it again does nothing.
    pub fn release(&self) {
        if self.held.replace(false) {
            driver::with(&self.shared, |s| driver::handle(s, Input::Release));
        }
    }

    /// The label given to `holdActive(label)`.
    #[wasm_bindgen(getter)]
    pub fn label(&self) -> Option<String> {
        self.label.clone()
    }

    /// Whether the hold is still in force (false after `release()`).
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> bool {
        self.held.get()
    }
}

/// `hold.free()` (or `using hold = keeper.holdActive()`) releases it too.
impl Drop for ActivityHold {
    fn drop(&mut self) {
        self.release();
    }
}

/// The second half of `login()`: a 2xx JSON reply starts the session. The
/// token's lifetime counts from `sent_at`, as a refreshed one's does: the
/// server issued it after that, however long the reply took.
fn login_replied(shared: &Shared, reply: http::Reply, sent_at: Time) -> Result<JsValue, JsValue> {
    let body = match reply {
        Ok((r, body)) if r.ok() => body,
        Ok((r, _)) => {
            let mut m = String::from("keep-session-alive: login failed: the server answered ");
            push_u64(&mut m, u64::from(r.status()));
            return Err(js_error(&m));
        }
        Err(_) => {
            return Err(js_error("keep-session-alive: login failed: no reply from loginUrl (network error or timeout)"))
        }
    };
    // An HTML page from a wrong loginUrl must not pass for a cookie session.
    let Some(json) = http::json(&body) else {
        return Err(js_error("keep-session-alive: login reply is not JSON: expected {accessToken, expiresIn}, {} or an empty body (check loginUrl)"));
    };
    match http::session_from(&json) {
        Ok(_) if driver::disposed(shared) => {
            Err(js_error("keep-session-alive: login() finished after dispose(); no session was started"))
        }
        Ok(token) => {
            let elapsed = now().since(sent_at);
            let token = token.map(|(value, ms)| (value, ms.saturating_sub(elapsed)));
            driver::handle(shared, Input::SessionStarted(token));
            Ok(JsValue::UNDEFINED)
        }
        Err(()) => {
            Err(js_error("keep-session-alive: login reply needs a non-empty accessToken and expiresIn >= 1 (seconds)"))
        }
    }
}

/// A token session authorizes the request and keeps an unsent copy for the
/// one retry after a 401: the 401 reports the token as rejected, the copy
/// waits for the shared refresh and is sent once. A cookie session sends the
/// request as is. Successful replies count as server activity.
async fn authorized_fetch(shared: &Shared, request: Request) -> Result<JsValue, JsValue> {
    let token_session = shared.try_borrow().map(|d| d.config.refresh_url.is_some()).unwrap_or(false);
    if !token_session {
        return send(shared, request).await;
    }
    let retry = request.clone()?;
    let generation = authorize(shared, &request).await?;
    let response = send(shared, request).await?;
    if !response.dyn_ref::<Response>().is_some_and(|r| r.status() == 401) {
        return Ok(response);
    }
    driver::handle(shared, Input::TokenRejected(generation));
    authorize(shared, &retry).await?;
    send(shared, retry).await
}

/// Sends `request` through the page's `fetch`; a successful reply counts as
/// server activity. What a replaced `fetch()` fulfils with, if not a
/// `Response`, is passed on as is: the app's own business.
async fn send(shared: &Shared, request: Request) -> Result<JsValue, JsValue> {
    let sent_at = now();
    let reply = JsFuture::from(global_fetch(&request, &JsValue::UNDEFINED)?).await?;
    if reply.dyn_ref::<Response>().is_some_and(Response::ok) {
        driver::handle(shared, Input::ServerTouched(sent_at));
    }
    Ok(reply)
}

/// Waits for a valid token (the shared refresh if needed) and sets the bearer
/// header; `Err` when there is none. Returns the token's generation.
async fn authorize(shared: &Shared, request: &Request) -> Result<u32, JsValue> {
    let _ = JsFuture::from(driver::token_promise(shared)).await;
    let Some((token, generation)) = driver::current_token(shared) else {
        return Err(js_error(
            "keep-session-alive: fetch() has no valid access token: signed out, idle, offline, the refresh failed, or the keeper was disposed",
        ));
    };
    let mut bearer = String::from("Bearer ");
    bearer.push_str(&token);
    request.headers().set("Authorization", &bearer)?;
    Ok(generation)
}
