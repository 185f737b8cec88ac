//! The SDK's own requests: POST with cookies, the app's extra headers and a
//! timeout, and the mapping of replies onto the engine's results.

use js_sys::{Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, Headers, Response};

use super::global::{object, set};
use super::handles::Timeout;
use super::promise::on_settled;
use crate::core::message::number;
use crate::core::{Failure, HeartbeatResult, RefreshResult};

#[wasm_bindgen]
extern "C" {
    /// `catch`: a page may replace `fetch` with one that throws instead of rejecting.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub(crate) fn global_fetch(input: &JsValue, init: &JsValue) -> Result<Promise, JsValue>;
}

/// What one SDK request needs: the URL, the app's headers, the timeout.
pub(crate) struct RequestParams {
    pub url: String,
    pub headers: Headers,
    pub timeout_ms: u64,
}

/// An HTTP reply with its whole body, or why none came (network error or
/// timeout).
pub(crate) type Reply = Result<(Response, String), Failure>;

/// POSTs to `params.url` and calls `done` with the reply. `requestTimeoutMs`
/// covers the body too: a server that sends headers and then stalls must not
/// hold a refresh (and the cross-tab refresh lock) forever.
pub(crate) fn post(params: &RequestParams, json_body: Option<String>, done: Box<dyn FnOnce(Reply)>) {
    let init = object(&[("method", &JsValue::from_str("POST")), ("credentials", &JsValue::from_str("include"))]);
    match json_body {
        Some(body) => {
            let Ok(headers) = Headers::new_with_headers(&params.headers) else { return done(Err(Failure::Network)) };
            let _ = headers.set("Content-Type", "application/json");
            set(&init, "headers", &headers);
            set(&init, "body", &JsValue::from_str(&body));
        }
        // Bodiless requests outlive the page: the logout POST in particular,
        // which apps often follow with `location.assign(...)`. (A keepalive
        // body is limited to 64 KiB, so login's is sent without it.)
        None => {
            set(&init, "headers", &params.headers);
            set(&init, "keepalive", &JsValue::TRUE);
        }
    }
    let abort = AbortController::new().ok();
    let timer = abort.as_ref().map(|a| {
        set(&init, "signal", &a.signal());
        let a = a.clone();
        Timeout::new(params.timeout_ms as f64, move || a.abort())
    });
    let failed = |abort: Option<AbortController>| {
        if abort.is_some_and(|a| a.signal().aborted()) {
            Failure::Timeout
        } else {
            Failure::Network
        }
    };
    let sent = match global_fetch(&JsValue::from_str(&params.url), &init) {
        Ok(sent) => sent,
        Err(_) => return done(Err(Failure::Network)),
    };
    on_settled(
        &sent,
        Box::new(move |outcome| {
            let Some(response) = outcome.ok().and_then(|r| r.dyn_into::<Response>().ok()) else {
                return done(Err(failed(abort)));
            };
            let Ok(text) = response.text() else { return done(Err(failed(abort))) };
            on_settled(
                &text,
                Box::new(move |body| {
                    drop(timer);
                    done(match body.ok().and_then(|b| b.as_string()) {
                        Some(body) => Ok((response, body)),
                        None => Err(failed(abort)),
                    })
                }),
            );
        }),
    );
}

/// How a non-2xx status is retried: 429 with its `Retry-After` (seconds), others as server errors.
fn status_failure(r: &Response) -> Failure {
    if r.status() == 429 {
        let after = r.headers().get("Retry-After").ok().flatten().and_then(|v| number(v.trim_ascii()));
        Failure::RateLimited(after.map(|s| s.min(u64::MAX / 1000) * 1000))
    } else {
        Failure::Server
    }
}

fn definitive(r: &Response) -> bool {
    matches!(r.status(), 401 | 403)
}

pub(crate) fn heartbeat_result(reply: Reply) -> HeartbeatResult {
    match reply {
        Ok((r, _)) if r.ok() => HeartbeatResult::Ok,
        Ok((r, _)) if definitive(&r) => HeartbeatResult::Rejected,
        Ok((r, _)) => HeartbeatResult::Failed(status_failure(&r)),
        Err(f) => HeartbeatResult::Failed(f),
    }
}

pub(crate) fn refresh_result(reply: Reply) -> RefreshResult {
    match reply {
        Ok((r, body)) if r.ok() => match json(&body).as_ref().and_then(token_from) {
            Some((token, expires_in_ms)) => RefreshResult::Ok { token, expires_in_ms },
            None => RefreshResult::Failed(Failure::Malformed),
        },
        Ok((r, _)) if definitive(&r) => RefreshResult::Rejected,
        Ok((r, _)) => RefreshResult::Failed(status_failure(&r)),
        Err(f) => RefreshResult::Failed(f),
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
