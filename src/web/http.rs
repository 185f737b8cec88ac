//! The SDK's own requests (login, refresh, keepalive, logout) on gloo-net:
//! POST with cookies, the app's extra headers and a timeout, redirects not
//! followed, and the mapping of replies onto the engine's results.

use gloo_net::http::Response;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, Headers};

use super::global::{object, set};
use super::handles::timeout;
use super::js_values::{headers_from, json, token_from};
use super::promise::{when_settled, Then};
use crate::core::digits::number;
use crate::core::{Failure, HeartbeatResult, RefreshResult};

#[wasm_bindgen]
extern "C" {
    /// `catch`: a page may replace `fetch` with one that throws instead of rejecting.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub(crate) fn global_fetch(input: &JsValue, init: &JsValue) -> Result<Promise, JsValue>;
    /// `Headers`, for a `get` that hands over the JS value.
    #[wasm_bindgen(js_name = Headers)]
    type HeaderMap;
    /// `headers.get(name)`: a string, or `null` when absent. (web-sys' returns
    /// an `Option<String>`, copied into the module by a shim of its own.)
    #[wasm_bindgen(method, js_name = get)]
    fn header(this: &HeaderMap, name: &str) -> JsValue;
}

/// What one SDK request needs: the URL, the app's headers, the timeout.
pub(crate) struct RequestParams {
    pub url: String,
    pub headers: RequestHeaders,
    pub timeout_ms: u64,
}

/// The `headers` option: fixed, or the app's function, called for each
/// request (a CSRF token read from a cookie or a meta tag at that moment).
#[derive(Clone)]
pub(crate) enum RequestHeaders {
    Fixed(Headers),
    Computed(js_sys::Function),
}

impl RequestHeaders {
    /// The default, `X-Requested-With: XMLHttpRequest`; `None` where the
    /// browser has no `Headers`.
    pub(crate) fn standard() -> Option<RequestHeaders> {
        let init = object(&[("X-Requested-With", &JsValue::from_str("XMLHttpRequest"))]);
        Headers::new_with_headers(init.unchecked_ref()).ok().map(RequestHeaders::Fixed)
    }

    /// The headers for one request, a copy of its own; `None` when the app's
    /// function throws or returns anything but an object of header names to
    /// string values.
    fn now(&self) -> Option<Headers> {
        match self {
            RequestHeaders::Fixed(h) => Headers::new_with_headers(h).ok(),
            RequestHeaders::Computed(f) => headers_from(&f.call0(&JsValue::UNDEFINED).ok()?).ok(),
        }
    }
}

/// An HTTP reply with its whole body, or why none came (network error or
/// timeout).
pub(crate) type Reply = Result<(Response, String), Failure>;

/// POSTs to `params.url`, with `json_body` if given, reads the whole reply
/// and gives it to `then`. `requestTimeoutMs` covers the body too: a server
/// that sends headers and then stalls must not hold a refresh (and the
/// cross-tab refresh lock) forever. `Err(Rejected)`: the app's headers
/// function failed, and nothing was sent.
pub(crate) fn post(params: &RequestParams, json_body: Option<String>, then: Then<Reply>) {
    let Some(headers) = params.headers.now() else { return then(Err(Failure::Rejected)) };
    let Ok(abort) = AbortController::new() else { return then(Err(Failure::Network)) };
    let aborter = abort.clone();
    let deadline = timeout(params.timeout_ms as f64, move || aborter.abort());
    let Some(init) = init(headers, json_body, &abort.signal()) else { return then(Err(Failure::Network)) };
    send(
        &params.url,
        &init,
        Box::new(move |reply| {
            // Cleared now that the body is in (or the request failed).
            drop(deadline);
            let failed = if abort.signal().aborted() { Failure::Timeout } else { Failure::Network };
            then(reply.ok_or(failed))
        }),
    );
}

/// The request's `RequestInit`, a plain object with its fields set by name,
/// not through web-sys' `RequestInit` setters (an import each). Not gloo-net's
/// builder either: it would parse the URL and format its query string
/// (core::fmt), and has no `keepalive`.
fn init(headers: Headers, json_body: Option<String>, signal: &AbortSignal) -> Option<JsValue> {
    let text = |s: &str| JsValue::from_str(s);
    // A redirect is an answer, not a detour: servers send one to their login
    // page when the session is gone (Django's login_required, Passport's
    // ensureLoggedIn, Spring's form login, SSO gateways). Followed, it would
    // end in that page's 200, read as a live session. Not followed, it comes
    // back as an opaque redirect, status 0, wherever it points.
    let init = object(&[
        ("method", &text("POST")),
        ("credentials", &text("include")),
        ("signal", signal),
        ("redirect", &text("manual")),
    ]);
    if let Some(body) = json_body {
        headers.set("Content-Type", "application/json").ok()?;
        set(&init, "body", &text(&body));
    } else {
        // Bodiless requests outlive the page: the logout POST in particular,
        // which apps often follow with `location.assign(...)`. (A keepalive
        // body is limited to 64 KiB, so login's is sent without it.)
        set(&init, "keepalive", &JsValue::TRUE);
    }
    set(&init, "headers", &headers);
    Some(init)
}

/// Sends through the page's `fetch` and reads the body; `None` when fetch
/// rejects (a URL or header the browser refuses too), throws, or fulfils with
/// something that is not a `Response`, or the body fails. Not gloo-net's
/// `Request::send`: it panics on a non-Response (gloo-net 0.7,
/// `http/request.rs`), and a page's broken fetch wrapper would trap the
/// module. Not its `Response::text` either: it unwraps `text()`, which throws
/// for an object that passes `instanceof Response` without being one.
///
/// The URL and the init go to `fetch` as they are, not as a `Request` made
/// first: Firefox drops `keepalive` when `fetch()` copies a `Request`
/// (`new Request(r).keepalive === false` there), so a logout POST followed by
/// a navigation was aborted before it reached the server.
fn send(url: &str, init: &JsValue, then: Then<Option<(Response, String)>>) {
    let Ok(sent) = global_fetch(&JsValue::from_str(url), init) else { return then(None) };
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
        let value = r.headers().into_raw().unchecked_into::<HeaderMap>().header("Retry-After").as_string();
        Failure::RateLimited(value.and_then(|v| retry_after_ms(&v)))
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

/// The session is gone: a redirect (status 0: not followed, see `build`),
/// 401, 403, Laravel's 419 "page expired" or IIS's 440 "login time-out".
pub(crate) fn definitive(r: &Response) -> bool {
    matches!(r.status(), 0 | 401 | 403 | 419 | 440)
}

pub(crate) fn heartbeat_result(reply: Reply) -> HeartbeatResult {
    match reply {
        // A page is no keepalive's answer (it is empty, or JSON): a wrong
        // keepaliveUrl (the app's fallback page), or a login page served with
        // 200. Its body, already read, starts with markup.
        Ok((r, body)) if r.ok() && body.trim_ascii_start().starts_with('<') => {
            HeartbeatResult::Failed(Failure::Malformed)
        }
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
