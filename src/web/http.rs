//! The SDK's own requests: POST with cookies, the app's extra headers and a
//! timeout, and the mapping of replies onto the engine's results.

use js_sys::{Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestCredentials, RequestInit, Response};

use super::handles::Timeout;
use crate::core::message::number;
use crate::core::{Failure, HeartbeatResult, RefreshResult};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &JsValue, init: &RequestInit) -> js_sys::Promise;
}

/// POSTs to `url`; `Err` only when no HTTP reply came (network error or timeout).
pub(crate) async fn post(
    url: &str,
    headers: &[(String, String)],
    timeout_ms: u64,
    json_body: Option<String>,
) -> Result<Response, Failure> {
    let init = RequestInit::new();
    init.set_method("POST");
    // Survives the page being closed or navigated away: the logout POST in
    // particular, which apps often follow with `location.assign(...)`.
    // (web-sys has no setter for it.)
    let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    init.set_credentials(RequestCredentials::Include);
    let h = Headers::new().map_err(|_| Failure::Network)?;
    for (k, v) in headers {
        let _ = h.set(k, v);
    }
    if let Some(body) = json_body {
        let _ = h.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&h);
    let abort = AbortController::new().ok();
    if let Some(a) = &abort {
        init.set_signal(Some(&a.signal()));
    }
    let _timer = abort.as_ref().map(|a| {
        let a = a.clone();
        Timeout::new(timeout_ms as f64, move || a.abort())
    });
    match JsFuture::from(global_fetch(&JsValue::from_str(url), &init)).await {
        Ok(r) => r.dyn_into::<Response>().map_err(|_| Failure::Network),
        Err(_) if abort.as_ref().is_some_and(|a| a.signal().aborted()) => Err(Failure::Timeout),
        Err(_) => Err(Failure::Network),
    }
}

/// How a non-2xx status is retried: 429 with its `Retry-After` (seconds), others as server errors.
fn status_failure(r: &Response) -> Failure {
    if r.status() == 429 {
        let after = r.headers().get("Retry-After").ok().flatten().and_then(|v| number(v.trim_ascii()));
        Failure::RateLimited(after.map(|s| s.saturating_mul(1000)))
    } else {
        Failure::Server
    }
}

fn definitive(r: &Response) -> bool {
    matches!(r.status(), 401 | 403)
}

pub(crate) fn heartbeat_result(reply: Result<Response, Failure>) -> HeartbeatResult {
    match reply {
        Ok(r) if r.ok() => HeartbeatResult::Ok,
        Ok(r) if definitive(&r) => HeartbeatResult::Rejected,
        Ok(r) => HeartbeatResult::Failed(status_failure(&r)),
        Err(f) => HeartbeatResult::Failed(f),
    }
}

pub(crate) async fn refresh_result(reply: Result<Response, Failure>) -> RefreshResult {
    match reply {
        Ok(r) if r.ok() => match read_json(&r).await.as_ref().and_then(token_from) {
            Some((token, expires_in_ms)) => RefreshResult::Ok { token, expires_in_ms },
            None => RefreshResult::Failed(Failure::Malformed),
        },
        Ok(r) if definitive(&r) => RefreshResult::Rejected,
        Ok(r) => RefreshResult::Failed(status_failure(&r)),
        Err(f) => RefreshResult::Failed(f),
    }
}

/// The body as JSON; `None` if it is not JSON. An empty body is `Some(undefined)`.
pub(crate) async fn read_json(r: &Response) -> Option<JsValue> {
    let text = JsFuture::from(r.text().ok()?).await.ok()?.as_string()?;
    if text.trim_ascii().is_empty() {
        return Some(JsValue::UNDEFINED);
    }
    JSON::parse(&text).ok()
}

fn field(v: &JsValue, camel: &str, snake: &str) -> Option<JsValue> {
    [camel, snake].into_iter().filter_map(|k| Reflect::get(v, &JsValue::from_str(k)).ok()).find(|x| !x.is_undefined())
}

/// `{accessToken, expiresIn}` or the OAuth `{access_token, expires_in}` (seconds);
/// `None` when either is missing or not a usable value.
pub(crate) fn token_from(v: &JsValue) -> Option<(String, u64)> {
    if !v.is_object() {
        return None;
    }
    let token = field(v, "accessToken", "access_token")?.as_string().filter(|t| !t.is_empty())?;
    // At least one second everywhere (login, setSession, refresh): shorter
    // lifetimes would be refreshed in a tight loop.
    let secs = field(v, "expiresIn", "expires_in")?.as_f64().filter(|s| s.is_finite() && *s >= 1.0)?;
    // `as` saturates: an absurd lifetime becomes a very long one, never a panic.
    Some((token, (secs * 1000.0) as u64))
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
