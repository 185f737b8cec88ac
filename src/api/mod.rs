//! The JavaScript facade: the `SessionKeeper` class, `ActivityHold`, and the
//! TypeScript types of state and events. A translation table: it converts JS
//! values to Rust and words errors; everything else happens behind
//! `web::Keeper`. Everything from JS is untrusted: options are checked field by
//! field (`options`), and a bad one throws an `Error` that names it and says
//! what is allowed (and, for a number out of range, what came).

use std::cell::Cell;

use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::{digits::push_u64, Input};
use crate::web::{now, session_from, Deferred, FetchError, Keeper, LoginError, StartError, WeakKeeper};

mod options;

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
  /**
   * Which tab refreshes the token next, and why: `'this'` (this tab signed in
   * or refreshed last), `'other'` (another tab did, and lives), `'leader'` (no
   * such tab lives: the leader), `'unable'` (this tab's `refresh` answered
   * `'elsewhere'`: the others refresh for it); `'none'` without a token session.
   */
  refresher: "this" | "other" | "leader" | "unable" | "none";
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
    /// A hold's label: a string, kept as the JS value it came as (not
    /// copied into the module's memory when the hold is made).
    #[wasm_bindgen(typescript_type = "string")]
    pub type Label;
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
    keeper: Keeper,
}

#[wasm_bindgen]
impl SessionKeeper {
    /// Starts keeping the session; throws an `Error` naming any invalid option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: OptionsArg) -> Result<SessionKeeper, JsError> {
        match Keeper::start(options::parse(&options)?) {
            Ok(keeper) => Ok(SessionKeeper { keeper }),
            Err(StartError::Config(e)) => Err(JsError::new(&e.message())),
            Err(StartError::NoEventTarget) => {
                Err(JsError::new("keep-session-alive: could not create an EventTarget (not a browser?)"))
            }
        }
    }

    /// POSTs `body` as JSON to `loginUrl`. A reply with `{accessToken, expiresIn}`
    /// starts a token session; an empty or token-less 2xx reply a cookie session.
    pub fn login(&self, body: LoginBody) -> VoidPromise {
        let (promise, reply) = Deferred::new();
        // `undefined` (no argument) sends no body; a body JSON cannot encode
        // (a BigInt, a cycle) is the caller's mistake, not an empty login.
        match JSON::stringify(&body) {
            Ok(json) => self.keeper.login(
                json.as_string(),
                Box::new(move |done| reply.settle(done.map(|()| JsValue::UNDEFINED).map_err(login_error))),
            ),
            Err(_) => reply.settle(Err(js_error(
                "keep-session-alive: login(body) needs a body JSON.stringify accepts (no BigInt, no cycles)",
            ))),
        }
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
        let token = session_from(v).map_err(|()| {
            JsError::new("keep-session-alive: setSession() needs a non-empty `accessToken` string and `expiresIn` >= 1 (seconds), or {} for a cookie session")
        })?;
        self.keeper.input(Input::SessionStarted { token, sent_at: now() });
        Ok(())
    }

    /// The current access token, refreshing first if it is about to expire;
    /// `null` when signed out, idle, offline or the refresh failed. Never an expired token.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> TokenPromise {
        let (promise, answer) = Deferred::new();
        self.keeper.token(Box::new(move |token| answer.resolve(&token.map_or(JsValue::NULL, JsValue::from_str))));
        promise.unchecked_into()
    }

    /// `fetch()` with `Authorization: Bearer <token>` for token sessions. On a
    /// 401 it triggers the shared refresh once and retries once. Successful
    /// replies count as server activity (no heartbeat needed).
    pub fn fetch(&self, input: RequestInput, init: Option<RequestInitArg>) -> ResponsePromise {
        let init: JsValue = init.map_or(JsValue::UNDEFINED, Into::into);
        let (promise, reply) = Deferred::new();
        match RequestClass::new(&input, &init) {
            Ok(request) => self
                .keeper
                .fetch(request.unchecked_into(), Box::new(move |response| reply.settle(response.map_err(fetch_error)))),
            Err(e) => reply.settle(Err(e)),
        }
        promise.unchecked_into()
    }

    /// "Stay signed in": counts as activity and dismisses a warning in every tab.
    #[wasm_bindgen(js_name = staySignedIn)]
    pub fn stay_signed_in(&self) {
        self.keeper.input(Input::StaySignedIn);
    }

    /// "A request to the session's server just succeeded", for app traffic that
    /// does not go through `fetch()` (axios, a WebSocket or SSE message, a form
    /// post): it counts as a server touch in every tab, so no heartbeat is sent
    /// for it.
    pub fn touch(&self) {
        self.keeper.input(Input::ServerTouched(now()));
    }

    /// Keeps the user present in every tab without input, for a long task (a
    /// video, an upload, a screen share) until `release()` on the handle, or
    /// `dispose()`, or the tab going away. The absolute timeout still applies.
    #[wasm_bindgen(js_name = holdActive)]
    pub fn hold_active(&self, label: Option<Label>) -> ActivityHold {
        self.keeper.input(Input::Hold);
        // Anything but a string is no label.
        let label = label.filter(|l| l.is_string());
        ActivityHold { keeper: self.keeper.downgrade(), label, held: Cell::new(true) }
    }

    /// Logs out in every tab at once and tells the server (`logoutUrl`); stays
    /// logged out even if that call fails.
    pub fn logout(&self) -> VoidPromise {
        self.keeper.input(Input::Logout);
        Promise::resolve(&JsValue::UNDEFINED).unchecked_into()
    }

    /// A snapshot of the session (never the token).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> StateObject {
        self.keeper.state().unchecked_into()
    }

    /// Listens for `activity`, `idle`, `warning`, `timeout`, `refresh`, `login`,
    /// `logout`, `heartbeat`, `leader` and `error` (a `CustomEvent` with `detail`).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, kind: &JsValue, listener: &Function) {
        let _ = self.keeper.events().listen(kind, listener, &JsValue::UNDEFINED);
    }

    /// Removes a listener added with `addEventListener`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, kind: &JsValue, listener: &Function) {
        let _ = self.keeper.events().unlisten(kind, listener, false);
    }

    /// Removes every listener, timer, lock and channel; the keeper is inert afterwards.
    pub fn dispose(&self) {
        self.keeper.dispose();
    }
}

/// A hold from `holdActive()`: the user counts as present in every tab until
/// `release()`.
#[wasm_bindgen]
pub struct ActivityHold {
    keeper: WeakKeeper,
    label: Option<Label>,
    held: Cell<bool>,
}

#[wasm_bindgen]
impl ActivityHold {
    /// Ends the hold; idle counts from now. Calling it again does nothing.
    pub fn release(&self) {
        if self.held.replace(false) {
            self.keeper.input(Input::Release);
        }
    }

    /// The label given to `holdActive(label)`.
    #[wasm_bindgen(getter)]
    pub fn label(&self) -> Option<String> {
        self.label.as_ref().and_then(|l| l.as_string())
    }

    /// Whether the hold is still in force (false after `release()`).
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> bool {
        self.held.get()
    }
}

/// A label from Rust (the browser tests).
impl From<&str> for Label {
    fn from(label: &str) -> Label {
        JsValue::from_str(label).unchecked_into()
    }
}

/// `hold.free()` (or `using hold = keeper.holdActive()`) releases it too.
impl Drop for ActivityHold {
    fn drop(&mut self) {
        self.release();
    }
}

/// Why `login()` rejects, in words.
fn login_error(e: LoginError) -> JsValue {
    js_error(match e {
        LoginError::NoUrl => {
            "keep-session-alive: login() needs the `loginUrl` option; with your own login flow call setSession() instead"
        }
        LoginError::Status(status) => {
            let mut m = String::from("keep-session-alive: login failed: the server answered ");
            push_u64(&mut m, u64::from(status));
            return js_error(&m);
        }
        LoginError::Redirected => {
            "keep-session-alive: login failed: the server redirected (to its login page?); loginUrl must answer the POST itself"
        }
        LoginError::NoReply => {
            "keep-session-alive: login failed: no reply from loginUrl (network error, timeout), or not sent (the `headers` function failed)"
        }
        LoginError::NotJson => {
            "keep-session-alive: login reply is not JSON: expected {accessToken, expiresIn}, {} or an empty body (check loginUrl)"
        }
        LoginError::BadToken => {
            "keep-session-alive: login reply needs a non-empty accessToken and expiresIn >= 1 (seconds)"
        }
    })
}

/// Why `fetch()` rejects: what the page's `fetch` threw, or no token.
fn fetch_error(e: FetchError) -> JsValue {
    match e {
        FetchError::Js(e) => e,
        FetchError::NoToken => js_error(
            "keep-session-alive: fetch() has no valid access token: signed out, idle, offline, the refresh failed, or the keeper was disposed",
        ),
    }
}
