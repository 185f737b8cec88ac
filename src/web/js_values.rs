//! The structured values that cross to and from JavaScript. Out: the `state`
//! snapshot and every event's `detail`, as `#[derive(Serialize)]` types turned
//! into plain objects by serde-wasm-bindgen (`json_compatible`, so an absent
//! value is `null`, as the TypeScript types say); none of them carries the
//! token. In: a session or a token as a reply, a callback or `setSession()`
//! gives it, read field by field and checked.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use js_sys::JSON;

use crate::core::{Cause, Event, Failure, Operation, Refresher, Snapshot, Time, MIN_TOKEN_LIFETIME_MS};

/// `SessionState`, field for field. Every number is an `Option<f64>` and
/// every string a `&str`, here and in `Detail`: serde-wasm-bindgen's map
/// writer is instantiated once per value type (about 280 B raw each).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State<'a> {
    authenticated: bool,
    restoring: bool,
    idle: bool,
    leader: bool,
    online: bool,
    tab_id: &'a str,
    token_expires_at: Option<f64>,
    last_activity: Option<f64>,
    last_heartbeat: Option<f64>,
    last_refresh: Option<f64>,
    warning_remaining_ms: Option<f64>,
    idle_at: Option<f64>,
    absolute_at: Option<f64>,
    ignored_messages: Option<f64>,
    holds: Option<f64>,
    refresher: &'static str,
}

/// Times and durations leave as `f64`, which JavaScript numbers are: they
/// are far below 2^53, and serde-wasm-bindgen's `u64` path carries an error
/// for larger values that links `core::fmt` (measured: 754 B gzip of the package).
fn ms(t: Option<Time>) -> Option<f64> {
    t.map(|t| t.0 as f64)
}

impl State<'_> {
    pub(crate) fn new(s: Snapshot, tab_id: &str, ignored_messages: u32) -> State<'_> {
        State {
            authenticated: s.authenticated,
            restoring: s.restoring,
            idle: s.idle,
            leader: s.leader,
            online: s.online,
            tab_id,
            token_expires_at: ms(s.token_expires_at),
            last_activity: ms(s.last_activity),
            last_heartbeat: ms(s.last_heartbeat),
            last_refresh: ms(s.last_refresh),
            warning_remaining_ms: s.warning_remaining_ms.map(|ms| ms as f64),
            idle_at: ms(s.idle_at),
            absolute_at: ms(s.absolute_at),
            ignored_messages: Some(f64::from(ignored_messages)),
            holds: Some(f64::from(s.holds)),
            refresher: match s.refresher {
                Some(Refresher::This) => "this",
                Some(Refresher::Other) => "other",
                Some(Refresher::Leader) => "leader",
                Some(Refresher::Unable) => "unable",
                None => "none",
            },
        }
    }
}

/// The `detail` of each event in `SessionEventMap`.
#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
pub(crate) enum Detail {
    Empty {},
    Warning { remaining_ms: Option<f64>, cause: &'static str },
    Cause { cause: &'static str },
    Expiry { expires_at: Option<f64> },
    Logout { reason: &'static str, remote: bool },
    Leader { leader: bool },
    Error { operation: &'static str, kind: &'static str, message: &'static str },
}

/// The event's name and its detail; `callback`: the operation of an error
/// event is done by the app's callback, not by a request.
pub(crate) fn event(event: Event, callback: bool) -> (&'static str, Detail) {
    match event {
        Event::Activity => ("activity", Detail::Empty {}),
        Event::Idle => ("idle", Detail::Empty {}),
        Event::Heartbeat => ("heartbeat", Detail::Empty {}),
        Event::Warning { cause: c, remaining_ms } => {
            ("warning", Detail::Warning { remaining_ms: Some(remaining_ms as f64), cause: cause(c) })
        }
        Event::Timeout(c) => ("timeout", Detail::Cause { cause: cause(c) }),
        Event::Refresh { expires_at } => ("refresh", Detail::Expiry { expires_at: ms(Some(expires_at)) }),
        Event::Login { expires_at } => ("login", Detail::Expiry { expires_at: ms(expires_at) }),
        Event::Logout { reason, remote } => ("logout", Detail::Logout { reason: reason.name(), remote }),
        Event::Leader(leader) => ("leader", Detail::Leader { leader }),
        Event::Error(op, f) => {
            let operation = match op {
                Operation::Heartbeat => "heartbeat",
                Operation::Refresh => "refresh",
            };
            let message = if callback { callback_failure_message(op, f) } else { failure_message(op, f) };
            ("error", Detail::Error { operation, kind: failure_kind(f), message })
        }
    }
}

/// `value` as a plain JS object; an empty one if serialization failed (it
/// cannot for these types: strings, bools and integers far below 2^53).
pub(crate) fn to_js(value: &impl Serialize) -> JsValue {
    AsMap { fields: value }
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or_else(|_| js_sys::Object::new().into())
}

/// The same object, built as a map (`flatten` makes serde's derive write the
/// fields as map entries): serde-wasm-bindgen writes a struct's field names
/// through a `HashMap` cache (hashbrown, `static_str_to_js`), a map's keys as
/// plain strings. Measured: -1 178 B gzip of the package, the same objects.
#[derive(Serialize)]
struct AsMap<T> {
    #[serde(flatten)]
    fields: T,
}

fn cause(c: Cause) -> &'static str {
    match c {
        Cause::Idle => "idle",
        Cause::Absolute => "absolute",
    }
}

fn failure_kind(f: Failure) -> &'static str {
    match f {
        Failure::Network => "network",
        Failure::Timeout => "timeout",
        Failure::Server => "server",
        Failure::RateLimited(_) => "rate-limited",
        Failure::Malformed => "malformed",
        Failure::Rejected => "rejected",
    }
}

fn failure_message(op: Operation, f: Failure) -> &'static str {
    match (op, f) {
        (_, Failure::Network) => "the request did not reach the server (offline or blocked); retrying with backoff",
        (_, Failure::Timeout) => "no reply within requestTimeoutMs; retrying with backoff",
        (_, Failure::Server) => "the server answered with an unexpected status (5xx or similar); retrying with backoff",
        (_, Failure::RateLimited(_)) => "the server answered 429 Too Many Requests; retrying after Retry-After",
        (Operation::Refresh, Failure::Malformed) => {
            "the refresh reply is not JSON of the form {accessToken, expiresIn} or {access_token, expires_in} with expiresIn >= 1 second; retrying"
        }
        (Operation::Heartbeat, Failure::Malformed) => {
            "the keepalive reply is a page, not an empty or JSON body (a wrong keepaliveUrl, or a login page with 200?); retrying"
        }
        // A request is refused only by the app's headers function.
        (_, Failure::Rejected) => {
            "the `headers` function threw or returned no object of string headers; not sent, retrying with backoff"
        }
    }
}

fn callback_failure_message(op: Operation, f: Failure) -> &'static str {
    match (op, f) {
        (Operation::Refresh, Failure::Rejected) => "the refresh callback rejected or threw; retrying with backoff",
        (Operation::Heartbeat, Failure::Rejected) => "the keepalive callback rejected or threw; retrying with backoff",
        (_, Failure::Timeout) => "the callback did not settle within requestTimeoutMs; retrying with backoff",
        (Operation::Refresh, _) => {
            "the refresh callback must resolve with {accessToken, expiresIn} (expiresIn >= 1 second), or null when the session is over; retrying"
        }
        (Operation::Heartbeat, _) => {
            "the keepalive callback must resolve with true or nothing, or false when the session is over; retrying"
        }
    }
}

/// A body as JSON; `None` if it is not JSON. An empty body is `Some(undefined)`.
pub(crate) fn json(body: &str) -> Option<JsValue> {
    if body.trim_ascii().is_empty() {
        Some(JsValue::UNDEFINED)
    } else {
        JSON::parse(body).ok()
    }
}

fn field(v: &JsValue, camel: &str, snake: &str) -> Option<JsValue> {
    super::global::get(v, camel).or_else(|| super::global::get(v, snake))
}

/// `{accessToken, expiresIn}` or the OAuth `{access_token, expires_in}` (seconds);
/// `None` when either is missing or not a usable value.
pub(crate) fn token_from(v: &JsValue) -> Option<(String, u64)> {
    if !v.is_object() {
        return None;
    }
    let token = field(v, "accessToken", "access_token")?.as_string().filter(|t| !t.is_empty())?;
    let secs = field(v, "expiresIn", "expires_in")?.as_f64().filter(|s| s.is_finite())?;
    // `as` saturates: an absurd lifetime becomes a very long one, never a
    // panic; a negative or NaN one 0, which the minimum refuses.
    let ms = (secs * 1000.0) as u64;
    (ms >= MIN_TOKEN_LIFETIME_MS).then_some((token, ms))
}

/// A session as `login()` replies or `setSession()` gets it: `Ok(Some(token))`,
/// `Ok(None)` for a cookie session (no token field at all), `Err(())` for a
/// partial or invalid token — a misspelt one must not silently become a cookie
/// session. The caller words the error.
pub(crate) fn session_from(v: &JsValue) -> Result<Option<(String, u64)>, ()> {
    let token_fields = v.is_object()
        && (field(v, "accessToken", "access_token").is_some() || field(v, "expiresIn", "expires_in").is_some());
    if token_fields {
        token_from(v).map(Some).ok_or(())
    } else {
        Ok(None)
    }
}

/// An object of header names to string values as `Headers`, checked by the
/// browser now (`new Headers(object)`). `Err`: what the browser said of a
/// name or value it refuses, or `undefined` when it is no such object. Every
/// value must be a string: the browser would send `undefined` or `null` as
/// text, and a missing CSRF token must not pass for one (the server would
/// answer 403, read as a revoked session).
pub(crate) fn headers_from(v: &JsValue) -> Result<web_sys::Headers, JsValue> {
    let strings = v.is_object() && !js_sys::Array::is_array(v);
    let strings =
        strings && js_sys::Object::values(v.unchecked_ref::<js_sys::Object>()).iter().all(|x: JsValue| x.is_string());
    if !strings {
        return Err(JsValue::UNDEFINED);
    }
    // `new Headers(v)` through the binding the request's copy uses: one import
    // for both (the browser takes any headers init there).
    web_sys::Headers::new_with_headers(v.unchecked_ref())
        .map_err(|e| super::global::get(&e, "message").unwrap_or_default())
}
