//! The JavaScript facade: `SessionKeeper`, its options and its TypeScript types.
//! Everything from JS is untrusted: options are checked field by field and a
//! bad one throws an `Error` that names it, says what is allowed and what came.

use core::future::Future;
use core::pin::Pin;
use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use crate::core::{message::push_u64, Config, Engine, Input};
use crate::web::driver::{self, now, Shared, WebConfig};
use crate::web::http;

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
  /** Inactivity across all tabs before the user counts as gone. Default: 15 min, or sessionTimeoutMs if shorter. */
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
  logout: { reason: "user" | "idle" | "absolute" | "revoked" | "remote" };
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

    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

const OPTION_NAMES: [&str; 16] = [
    "keepaliveUrl",
    "refreshUrl",
    "logoutUrl",
    "loginUrl",
    "sessionTimeoutMs",
    "minHeartbeatIntervalMs",
    "idleTimeoutMs",
    "warningMs",
    "absoluteTimeoutMs",
    "refreshLeadMs",
    "requestTimeoutMs",
    "siblingWaitMs",
    "activityEvents",
    "headers",
    "channelName",
    "logoutOnIdle",
];

fn err(option: &str, problem: &str) -> JsError {
    let mut s = String::from("keep-session-alive: option `");
    s.push_str(option);
    s.push_str("` ");
    s.push_str(problem);
    JsError::new(&s)
}

struct Options(JsValue);

impl Options {
    fn get(&self, k: &str) -> Option<JsValue> {
        Reflect::get(&self.0, &JsValue::from_str(k)).ok().filter(|v| !v.is_undefined())
    }

    fn string(&self, k: &str) -> Result<Option<String>, JsError> {
        self.get(k).map(|v| v.as_string().ok_or_else(|| err(k, "must be a string"))).transpose()
    }

    fn millis(&self, k: &str) -> Result<Option<u64>, JsError> {
        self.get(k)
            .map(|v| match v.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => {
                    Ok(n as u64)
                }
                _ => Err(err(k, "must be a whole, non-negative number of milliseconds")),
            })
            .transpose()
    }

    fn strings(&self, k: &str) -> Result<Option<Vec<String>>, JsError> {
        let Some(v) = self.get(k) else { return Ok(None) };
        let problem = "must be an array of non-empty event names";
        let array = v.dyn_into::<Array>().map_err(|_| err(k, problem))?;
        let names: Option<Vec<String>> = array.iter().map(|x| x.as_string().filter(|s| !s.is_empty())).collect();
        names.filter(|n| !n.is_empty()).map(Some).ok_or_else(|| err(k, problem))
    }

    fn headers(&self, k: &str) -> Result<Option<Vec<(String, String)>>, JsError> {
        let Some(v) = self.get(k) else { return Ok(None) };
        let problem = "must be an object of header names to string values";
        if !v.is_object() || Array::is_array(&v) {
            return Err(err(k, problem));
        }
        let entries = Object::entries(v.unchecked_ref());
        let mut out = Vec::new();
        for e in entries.iter() {
            let pair: Array = e.unchecked_into();
            match (pair.get(0).as_string(), pair.get(1).as_string()) {
                (Some(name), Some(value)) => out.push((name, value)),
                _ => return Err(err(k, problem)),
            }
        }
        Ok(Some(out))
    }
}

fn parse(options: &JsValue) -> Result<(Config, WebConfig), JsError> {
    if !options.is_object() {
        return Err(JsError::new("keep-session-alive: `new SessionKeeper(options)` needs an options object"));
    }
    let keys: Array = Object::keys(options.unchecked_ref::<Object>());
    for key in keys.iter() {
        let key = key.as_string().unwrap_or_default();
        if !OPTION_NAMES.contains(&key.as_str()) {
            return Err(err(&key, "is not a known option (check its spelling against SessionKeeperOptions)"));
        }
    }
    let o = Options(options.clone());
    let mut c = Config {
        keepalive_url: o.string("keepaliveUrl")?,
        refresh_url: o.string("refreshUrl")?,
        logout_url: o.string("logoutUrl")?,
        login_url: o.string("loginUrl")?,
        session_timeout_ms: o.millis("sessionTimeoutMs")?,
        min_heartbeat_interval_ms: o.millis("minHeartbeatIntervalMs")?,
        idle_timeout_ms: o.millis("idleTimeoutMs")?,
        warning_ms: o.millis("warningMs")?,
        absolute_timeout_ms: o.millis("absoluteTimeoutMs")?,
        seed: (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64,
        ..Config::default()
    };
    if let Some(v) = o.millis("refreshLeadMs")? {
        c.refresh_lead_ms = v;
    }
    if let Some(v) = o.millis("requestTimeoutMs")? {
        c.request_timeout_ms = v;
    }
    if let Some(v) = o.millis("siblingWaitMs")? {
        c.sibling_wait_ms = v;
    }
    if let Some(v) = o.string("channelName")? {
        c.channel_name = v;
    }
    if let Some(v) = o.get("logoutOnIdle") {
        c.logout_on_idle = v.as_bool().ok_or_else(|| err("logoutOnIdle", "must be true or false"))?;
    }
    c.validate().map_err(|e| JsError::new(&e.message()))?;
    let activity_events = o.strings("activityEvents")?.unwrap_or_else(|| {
        ["pointerdown", "pointermove", "keydown", "wheel", "scroll", "touchstart", "focus"].map(String::from).to_vec()
    });
    let headers = o.headers("headers")?.unwrap_or_else(|| vec![("X-Requested-With".into(), "XMLHttpRequest".into())]);
    let web = WebConfig {
        keepalive_url: c.keepalive_url.clone(),
        refresh_url: c.refresh_url.clone(),
        logout_url: c.logout_url.clone(),
        login_url: c.login_url.clone(),
        activity_events,
        headers,
        request_timeout_ms: c.request_timeout_ms,
        channel_name: c.channel_name.clone(),
    };
    Ok((c, web))
}

/// One non-generic instantiation of `future_to_promise` for every method.
fn promise(task: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(task)
}

fn js_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
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
        let (config, web) = parse(&options)?;
        let tab = (js_sys::Math::random() * 4_503_599_627_370_496.0) as u64;
        let engine = Engine::new(&config, tab, now()).map_err(|e| JsError::new(&e.message()))?;
        let shared = driver::start(engine, web)
            .map_err(|_| JsError::new("keep-session-alive: could not create an EventTarget (not a browser?)"))?;
        Ok(SessionKeeper { shared })
    }

    /// POSTs `body` as JSON to `loginUrl`. A reply with `{accessToken, expiresIn}`
    /// starts a token session; an empty or token-less 2xx reply a cookie session.
    pub fn login(&self, body: LoginBody) -> VoidPromise {
        let body: JsValue = body.into();
        let shared = self.shared.clone();
        promise(Box::pin(async move {
            let (url, headers, timeout) = driver::request_params(&shared, |c| &c.login_url).ok_or_else(|| {
                js_error("keep-session-alive: login() needs the `loginUrl` option; with your own login flow call setSession() instead")
            })?;
            let json = JSON::stringify(&body).ok().and_then(|s| s.as_string());
            let reply = http::post(&url, &headers, timeout, json)
                .await
                .map_err(|_| js_error("keep-session-alive: login failed: no reply from loginUrl (network error or timeout)"))?;
            if !reply.ok() {
                let mut m = String::from("keep-session-alive: login failed: the server answered ");
                push_u64(&mut m, u64::from(reply.status()));
                return Err(js_error(&m));
            }
            // An HTML page from a wrong loginUrl must not pass for a cookie session.
            let value = http::read_json(&reply).await.ok_or_else(|| {
                js_error("keep-session-alive: login reply is not JSON: expected {accessToken, expiresIn}, {} or an empty body (check loginUrl)")
            })?;
            let token = http::session_from(&value).map_err(|()| {
                js_error("keep-session-alive: login reply needs a non-empty accessToken and expiresIn >= 1 (seconds)")
            })?;
            driver::handle(&shared, Input::SessionStarted(token));
            Ok(JsValue::UNDEFINED)
        }))
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
        let shared = self.shared.clone();
        let init: JsValue = init.map_or(JsValue::UNDEFINED, Into::into);
        let input: JsValue = input.into();
        promise(Box::pin(async move {
            let request = new_request(&input, &init)?;
            let token_session = shared.try_borrow().map(|d| d.config.refresh_url.is_some()).unwrap_or(false);
            // A token session authorizes the request and keeps an unsent copy
            // for the one retry after a 401; a cookie session sends it as is.
            let retry = if token_session {
                let (_, generation) = authorize(&shared, &request).await?;
                Some((request.clone()?, generation))
            } else {
                None
            };
            let sent_at = now();
            let mut response = send(&request).await?;
            if let Some((retry, generation)) = retry.filter(|_| response.status() == 401) {
                driver::handle(&shared, Input::TokenRejected(generation));
                authorize(&shared, &retry).await?;
                response = send(&retry).await?;
            }
            if response.ok() {
                driver::handle(&shared, Input::ServerTouched(sent_at));
            }
            Ok(response.into())
        }))
        .unchecked_into()
    }

    /// "Stay signed in": counts as activity and dismisses a warning in every tab.
    #[wasm_bindgen(js_name = staySignedIn)]
    pub fn stay_signed_in(&self) {
        driver::handle(&self.shared, Input::StaySignedIn);
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
        let o = Object::new();
        let Ok(d) = self.shared.try_borrow() else { return o.unchecked_into() };
        let s = d.engine.snapshot(now());
        let set = |k: &str, v: JsValue| driver::set(&o, k, &v);
        let time = |t: Option<crate::core::Time>| t.map_or(JsValue::NULL, driver::time);
        set("authenticated", s.authenticated.into());
        set("restoring", s.restoring.into());
        set("idle", s.idle.into());
        set("leader", s.leader.into());
        set("online", s.online.into());
        let mut tab = String::new();
        push_u64(&mut tab, d.engine.tab());
        set("tabId", tab.into());
        set("tokenExpiresAt", time(s.token_expires_at));
        set("lastActivity", time(s.last_activity));
        set("lastHeartbeat", time(s.last_heartbeat));
        set("lastRefresh", time(s.last_refresh));
        set("warningRemainingMs", s.warning_remaining_ms.map_or(JsValue::NULL, |ms| JsValue::from_f64(ms as f64)));
        set("idleAt", time(s.idle_at));
        set("absoluteAt", time(s.absolute_at));
        set("ignoredMessages", JsValue::from_f64(f64::from(d.engine.ignored_messages())));
        o.unchecked_into()
    }

    /// Listens for `activity`, `idle`, `warning`, `timeout`, `refresh`, `login`,
    /// `logout`, `heartbeat`, `leader` and `error` (a `CustomEvent` with `detail`).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, kind: &str, listener: &Function) {
        if let Ok(d) = self.shared.try_borrow() {
            let _ = d.events.add_event_listener_with_callback(kind, listener);
        }
    }

    /// Removes a listener added with `addEventListener`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, kind: &str, listener: &Function) {
        if let Ok(d) = self.shared.try_borrow() {
            let _ = d.events.remove_event_listener_with_callback(kind, listener);
        }
    }

    /// Removes every listener, timer, lock and channel; the keeper is inert afterwards.
    pub fn dispose(&self) {
        driver::dispose(&self.shared);
    }
}

/// `new Request(input, init)`: accepts whatever `fetch()` accepts and throws what it throws.
fn new_request(input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
    let ctor: Function = Reflect::get(&js_sys::global(), &JsValue::from_str("Request"))?.dyn_into()?;
    Reflect::construct(&ctor, &Array::of2(input, init))?.dyn_into()
}

async fn send(request: &Request) -> Result<Response, JsValue> {
    JsFuture::from(global_fetch(request)).await?.dyn_into::<Response>()
}

/// Sets the bearer header from the shared token; rejects when there is none.
async fn authorize(shared: &Shared, request: &Request) -> Result<(String, u32), JsValue> {
    JsFuture::from(driver::token_promise(shared)).await?;
    let token = driver::current_token(shared).ok_or_else(|| {
        js_error(
            "keep-session-alive: fetch() has no valid access token: signed out, idle, offline, or the refresh failed",
        )
    })?;
    let mut bearer = String::from("Bearer ");
    bearer.push_str(&token.0);
    request.headers().set("Authorization", &bearer)?;
    Ok(token)
}
