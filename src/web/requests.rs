//! The SDK's own requests: the heartbeat, the refresh and the logout, each
//! a POST to its URL or a call of the app's callback, and `login()`'s POST.
//! What comes back is mapped onto the engine's results (`http`, `callback`)
//! and fed to it as an input.

use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::driver::{now, with, Driver};
use super::http::{self, RequestParams};
use super::promise::{when_settled, Then};
use super::{callback, js_values};
use crate::core::{Failure, Input, Time};

/// Where the heartbeat, the refresh or the logout goes: a POST to the
/// server, the app's own callback, or nowhere (not configured).
pub(crate) enum Endpoint {
    None,
    Url(String),
    Callback(Function),
}

impl Endpoint {
    /// From the URL option or the callback option (the engine's validation
    /// has already refused both together).
    pub(super) fn from(url: Option<String>, callback: Option<Function>) -> Endpoint {
        match (callback, url) {
            (Some(f), _) => Endpoint::Callback(f),
            (None, Some(url)) => Endpoint::Url(url),
            (None, None) => Endpoint::None,
        }
    }

    pub(super) fn is_callback(&self) -> bool {
        matches!(self, Endpoint::Callback(_))
    }

    pub(super) fn is_some(&self) -> bool {
        !matches!(self, Endpoint::None)
    }
}

/// What the driver needs beyond the engine's options.
pub(crate) struct WebConfig {
    pub keepalive: Endpoint,
    pub refresh: Endpoint,
    pub logout: Endpoint,
    pub login_url: Option<String>,
    pub activity_events: Vec<String>,
    pub headers: http::RequestHeaders,
    /// URL prefixes `fetch()` sends the token to (the page's origin first).
    pub token_urls: Vec<String>,
    pub request_timeout_ms: u64,
    pub channel_name: String,
}

/// What an outgoing call came back with.
enum Outcome {
    Reply(http::Reply),
    Returned(Result<JsValue, Failure>),
}

/// Why `login()` started no session; the facade words it.
pub(crate) enum LoginError {
    /// No `loginUrl` option.
    NoUrl,
    /// The server answered with this status.
    Status(u16),
    /// The server answered with a redirect (to its login page, most likely).
    Redirected,
    /// Nothing was sent (the app's `headers` function threw or returned a
    /// bad value) or no reply came (a network error, the timeout).
    NoReply,
    /// A 2xx reply that is not JSON (a wrong URL's HTML page).
    NotJson,
    /// JSON with a partial or invalid token.
    BadToken,
}

impl Driver {
    pub(super) fn send_heartbeat(self: &Rc<Self>) {
        self.call(&self.config.keepalive, |outcome| {
            Some(Input::HeartbeatDone(match outcome {
                Outcome::Reply(reply) => http::heartbeat_result(reply),
                Outcome::Returned(value) => callback::heartbeat_result(value),
            }))
        });
    }

    pub(super) fn send_refresh(self: &Rc<Self>) {
        self.call(&self.config.refresh, |outcome| {
            Some(Input::RefreshDone(match outcome {
                Outcome::Reply(reply) => http::refresh_result(reply),
                Outcome::Returned(value) => callback::refresh_result(value),
            }))
        });
    }

    /// The outcome does not matter: the session is already over here.
    pub(super) fn call_logout(self: &Rc<Self>) {
        self.call(&self.config.logout, |_| None);
    }

    /// Makes the call to `endpoint` and feeds the engine what `report` makes
    /// of its outcome. The call starts in a microtask, once the engine's
    /// commands of this turn are done: an app callback never runs inside the
    /// engine's turn.
    fn call(self: &Rc<Self>, endpoint: &Endpoint, report: fn(Outcome) -> Option<Input>) {
        let weak = Rc::downgrade(self);
        let deliver = move |outcome| {
            if let Some(input) = report(outcome) {
                with(&weak, |d| d.handle(input));
            }
        };
        let out = match endpoint {
            Endpoint::None => return,
            Endpoint::Url(url) => Ok(self.params(url)),
            Endpoint::Callback(f) => Err(f.clone()),
        };
        let ms = self.config.request_timeout_ms;
        when_settled(
            &Promise::resolve(&JsValue::UNDEFINED),
            Box::new(move |_| match out {
                Ok(params) => http::post(&params, None, Box::new(move |r| deliver(Outcome::Reply(r)))),
                Err(f) => callback::call(&f, ms, Box::new(move |r| deliver(Outcome::Returned(r)))),
            }),
        );
    }

    fn params(&self, url: &str) -> RequestParams {
        RequestParams {
            url: String::from(url),
            headers: self.config.headers.clone(),
            timeout_ms: self.config.request_timeout_ms,
        }
    }

    /// POSTs `json` (`None`: no body) to `loginUrl`; a 2xx JSON reply starts
    /// the session, its token's lifetime counting from when the request left
    /// (the engine's rule).
    pub(crate) fn login(self: &Rc<Self>, json: Option<String>, then: Then<Result<(), LoginError>>) {
        let Some(url) = &self.config.login_url else { return then(Err(LoginError::NoUrl)) };
        let params = self.params(url);
        let (driver, sent_at) = (self.clone(), now());
        http::post(&params, json, Box::new(move |reply| then(driver.logged_in(reply, sent_at))));
    }

    fn logged_in(self: &Rc<Self>, reply: http::Reply, sent_at: Time) -> Result<(), LoginError> {
        let body = match reply {
            Ok((r, body)) if r.ok() => body,
            Ok((r, _)) if r.status() == 0 => return Err(LoginError::Redirected),
            Ok((r, _)) => return Err(LoginError::Status(r.status())),
            Err(_) => return Err(LoginError::NoReply),
        };
        // An HTML page from a wrong loginUrl must not pass for a cookie session.
        let json = js_values::json(&body).ok_or(LoginError::NotJson)?;
        let token = js_values::session_from(&json).map_err(|()| LoginError::BadToken)?;
        self.handle(Input::SessionStarted { token, sent_at });
        Ok(())
    }
}
