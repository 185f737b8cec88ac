//! `keeper.fetch()`: the app's request, with the bearer token of a token
//! session; one retry after the shared refresh when the server answers 401;
//! successful replies counted as server activity (no heartbeat needed). Only
//! for the app's own API (`tokenUrls`): any other URL goes out untouched.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Request, Response};

use super::driver::{now, with, Driver};
use super::http::global_fetch;
use super::promise::{when_settled, Then};
use crate::core::Input;

/// Why `fetch()` settled without a reply of the server's.
pub(crate) enum FetchError {
    /// No valid token: signed out, idle, offline, the refresh failed, or disposed.
    NoToken,
    /// What the page's `fetch` threw or rejected with, passed on as is.
    Js(JsValue),
}

type Sent = Result<(JsValue, String), FetchError>;

impl Driver {
    /// A request to elsewhere than the app's own API, or of a cookie session,
    /// goes as is. A token session authorizes one to its API and keeps an
    /// unsent copy for the one retry after a 401: the 401
    /// reports the token as rejected, and the copy goes with the token the
    /// shared refresh brings.
    pub(crate) fn fetch(self: &Rc<Self>, request: Request, then: Then<Result<JsValue, FetchError>>) {
        let ours = self.ours(&request.url());
        if !ours || !self.config.refresh.is_some() {
            return self.send(request, ours, then);
        }
        let retry = match request.clone() {
            Ok(r) => r,
            Err(e) => return then(Err(FetchError::Js(e))),
        };
        let driver = self.clone();
        self.send_with_token(
            request,
            Box::new(move |sent| match sent {
                Ok((response, token)) if status(&response) == Some(401) => {
                    driver.handle(Input::TokenRejected(token));
                    driver.send_with_token(retry, Box::new(move |sent| then(sent.map(|(r, _)| r))));
                }
                sent => then(sent.map(|(r, _)| r)),
            }),
        );
    }

    /// Waits for a valid token (the shared refresh if need be), sets it as the
    /// bearer and sends; hands back the reply and the token it went with.
    fn send_with_token(self: &Rc<Self>, request: Request, then: Then<Sent>) {
        let driver = self.clone();
        self.want_token(Box::new(move |token| {
            let Some(token) = token else { return then(Err(FetchError::NoToken)) };
            let mut bearer = String::from("Bearer ");
            bearer.push_str(token);
            if let Err(e) = request.headers().set("Authorization", &bearer) {
                return then(Err(FetchError::Js(e)));
            }
            let token = String::from(token);
            driver.send(request, true, Box::new(move |reply| then(reply.map(|r| (r, token)))));
        }));
    }

    /// Sends through the page's `fetch`; a successful reply from the app's
    /// own API (`ours`) counts as server activity. What a replaced `fetch()`
    /// fulfils with, if not a `Response`, is passed on as is: the app's own business.
    fn send(self: &Rc<Self>, request: Request, ours: bool, then: Then<Result<JsValue, FetchError>>) {
        let sent_at = now();
        let sent = match global_fetch(&request, &JsValue::UNDEFINED) {
            Ok(p) => p,
            Err(e) => return then(Err(FetchError::Js(e))),
        };
        let weak = Rc::downgrade(self);
        when_settled(
            &sent,
            Box::new(move |reply| {
                if ours && reply.as_ref().ok().and_then(|r| r.dyn_ref::<Response>()).is_some_and(Response::ok) {
                    with(&weak, |d| d.handle(Input::ServerTouched(sent_at)));
                }
                then(reply.map_err(FetchError::Js))
            }),
        );
    }
}

impl Driver {
    /// Whether `url` is the app's own API: the page's origin or a listed
    /// origin or prefix, ending there or at a path, query or fragment
    /// (`https://api.example.com` is not `https://api.example.com.evil.test`).
    fn ours(&self, url: &str) -> bool {
        self.config.token_urls.iter().any(|prefix| {
            url.starts_with(prefix.as_str())
                && (prefix.ends_with('/')
                    || matches!(url.as_bytes().get(prefix.len()), None | Some(b'/' | b'?' | b'#')))
        })
    }
}

fn status(reply: &JsValue) -> Option<u16> {
    reply.dyn_ref::<Response>().map(Response::status)
}
