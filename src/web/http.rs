//! The SDK's own requests (login, refresh, keepalive, logout) on gloo-net:
//! POST with cookies, the app's extra headers and a timeout, and the mapping
//! of replies onto the engine's results.

use gloo_net::http::{Request, Response};
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, Headers, RequestCredentials, RequestInit};

use super::global::object;
use super::handles::timeout;
use super::js_values::{json, token_from};
use super::promise::{when_settled, Then};
use crate::core::digits::number;
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

/// POSTs to `params.url`, with `json_body` if given, reads the whole reply
/// and gives it to `then`. `requestTimeoutMs` covers the body too: a server
/// that sends headers and then stalls must not hold a refresh (and the
/// cross-tab refresh lock) forever.
pub(crate) fn post(params: &RequestParams, json_body: Option<String>, then: Then<Reply>) {
    let Ok(abort) = AbortController::new() else { return then(Err(Failure::Network)) };
    let aborter = abort.clone();
    let deadline = timeout(params.timeout_ms as f64, move || aborter.abort());
    let keepalive = json_body.is_none();
    let Some(request) = build(params, json_body, &abort.signal()) else { return then(Err(Failure::Network)) };
    send(
        request,
        keepalive,
        Box::new(move |reply| {
            // Cleared now that the body is in (or the request failed).
            drop(deadline);
            let failed = if abort.signal().aborted() { Failure::Timeout } else { Failure::Network };
            then(reply.ok_or(failed))
        }),
    );
}

/// The request as gloo-net's `Request`. Built from a `web_sys::Request` because
/// gloo-net's builder has no `keepalive` setter. One way for both kinds: the
/// builder would also parse the URL and format its query string (core::fmt).
fn build(params: &RequestParams, json_body: Option<String>, signal: &AbortSignal) -> Option<Request> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::Include);
    init.set_signal(Some(signal));
    match json_body {
        Some(body) => {
            let headers = Headers::new_with_headers(&params.headers).ok()?;
            headers.set("Content-Type", "application/json").ok()?;
            init.set_headers(&headers);
            init.set_body(&JsValue::from_str(&body));
        }
        // Bodiless requests outlive the page: the logout POST in particular,
        // which apps often follow with `location.assign(...)`. (A keepalive
        // body is limited to 64 KiB, so login's is sent without it.)
        None => {
            init.set_headers(&params.headers);
            // web-sys' RequestInit has no setter for it either.
            super::global::set(&init, "keepalive", &JsValue::TRUE);
        }
    }
    web_sys::Request::new_with_str_and_init(&params.url, &init).ok().map(Request::from)
}

/// Sends through the page's `fetch` and reads the body; `None` when fetch
/// rejects, throws, or fulfils with something that is not a `Response`, or the
/// body fails. Not gloo-net's `Request::send`: it panics on a non-Response
/// (gloo-net 0.7, `http/request.rs`), and a page's broken fetch wrapper would
/// trap the module. Not its `Response::text` either: it unwraps `text()`, which
/// throws for an object that passes `instanceof Response` without being one.
///
/// `keepalive` is said again in fetch's init: Firefox drops it when `fetch()`
/// copies a `Request` (`new Request(r).keepalive === false` there), so a
/// logout POST followed by a navigation was aborted before it reached the server.
fn send(request: Request, keepalive: bool, then: Then<Option<(Response, String)>>) {
    let request: web_sys::Request = request.into();
    let init = if keepalive { object(&[("keepalive", &JsValue::TRUE)]) } else { JsValue::UNDEFINED };
    let Ok(sent) = global_fetch(&request, &init) else { return then(None) };
    when_settled(
        &sent,
        Box::new(move |reply| {
            let Some(response) = reply.ok().and_then(|r| r.dyn_into::<web_sys::Response>().ok()) else {
                return then(None);
            };
            let Ok(text) = response.text() else { return then(None) };
            when_settled(
                &text,
                Box::new(move |body| {
                    then(body.ok().and_then(|b| b.as_string()).map(|b| (Response::from(response), b)))
                }),
            );
        }),
    );
}

/// How a non-2xx status is retried: 429 with its `Retry-After`, others as server errors.
fn status_failure(r: &Response) -> Failure {
    if r.status() == 429 {
        Failure::RateLimited(r.headers().get("Retry-After").and_then(|v| retry_after_ms(&v)))
    } else {
        Failure::Server
    }
}

/// `Retry-After` in milliseconds from now: delay-seconds, or an HTTP date
/// (`Date.parse` reads the IMF-fixdate form servers send; a date in the past is 0).
fn retry_after_ms(value: &str) -> Option<u64> {
    let value = value.trim_ascii();
    if let Some(secs) = number(value) {
        return Some(secs.min(u64::MAX / 1000) * 1000);
    }
    let at = js_sys::Date::parse(value);
    // `as` saturates and maps NaN to 0: never a panic.
    at.is_finite().then(|| (at - js_sys::Date::now()).max(0.0) as u64)
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
