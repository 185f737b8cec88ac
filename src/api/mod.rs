//! The JavaScript facade: the `SessionKeeper` class, `ActivityHold`, and the
//! TypeScript types of state and events. Everything from JS is untrusted:
//! options are checked field by field (`options`), and a bad one throws an
//! `Error` that names it and says what is allowed (and, for a number out of
//! range, what came). `keeper.fetch()` lives in `fetch`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::{digits::push_u64, Engine, Input, Time};
use crate::web::driver::{self, now, Endpoint, Shared, WebConfig};
use crate::web::http;
use crate::web::js_values;
use crate::web::promise::Deferred;

mod fetch;
mod options;

use options::Parsed;

// One section: the options' declaration, then the state's and the events'.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = concat!(
    options::options_type!(),
    r#"
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
    kind: "network" | "timeout" | "server" | "rate-limited" | "malformed" | "rejected";
    message: string;
  };
}

export interface SessionKeeper {
  addEventListener<K extends keyof SessionEventMap>(type: K, listener: (event: CustomEvent<SessionEventMap[K]>) => void): void;
  removeEventListener<K extends keyof SessionEventMap>(type: K, listener: (event: CustomEvent<SessionEventMap[K]>) => void): void;
}
"#
);

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
}

pub(super) fn js_error(message: &str) -> JsValue {
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
        let Parsed { config, activity_events, headers, keepalive, refresh, logout } = options::parse(&options)?;
        let tab = (js_sys::Math::random() * 4_503_599_627_370_496.0) as u64;
        // Validates every option; the engine keeps what it needs, the driver the rest.
        let engine = Engine::new(&config, tab, now()).map_err(|e| JsError::new(&e.message()))?;
        let web = WebConfig {
            keepalive: Endpoint::from(config.keepalive_url, keepalive),
            refresh: Endpoint::from(config.refresh_url, refresh),
            logout: Endpoint::from(config.logout_url, logout),
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
        let (promise, reply) = Deferred::new();
        let Some(params) = params else {
            reply.settle(Err(js_error(
                "keep-session-alive: login() needs the `loginUrl` option; with your own login flow call setSession() instead",
            )));
            return promise.unchecked_into();
        };
        let Ok(json) = json else {
            reply.settle(Err(js_error(
                "keep-session-alive: login(body) needs a body JSON.stringify accepts (no BigInt, no cycles)",
            )));
            return promise.unchecked_into();
        };
        http::post(&params, json, Box::new(move |r| reply.settle(login_replied(&shared, r, sent_at))));
        promise.unchecked_into()
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
        driver::handle(&self.shared, Input::SessionStarted { token, sent_at: now() });
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
        let request = fetch::request(&input, &init);
        let (promise, reply) = Deferred::new();
        match request {
            Ok(request) => fetch::authorized_fetch(self.shared.clone(), request, reply),
            Err(e) => reply.settle(Err(e)),
        }
        promise.unchecked_into()
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
        js_values::to_js(&driver::state(&self.shared)).unchecked_into()
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

/// The second half of `login()`: a 2xx JSON reply starts the session, its
/// token's lifetime counting from `sent_at` (the engine's rule).
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
            driver::handle(shared, Input::SessionStarted { token, sent_at });
            Ok(JsValue::UNDEFINED)
        }
        Err(()) => {
            Err(js_error("keep-session-alive: login reply needs a non-empty accessToken and expiresIn >= 1 (seconds)"))
        }
    }
}
