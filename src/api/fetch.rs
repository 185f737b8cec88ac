//! `keeper.fetch()`: the app's request with the bearer token of a token
//! session, one retry after the shared refresh when the server answers 401,
//! and successful replies counted as server activity.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Request, Response};

use super::js_error;
use crate::core::Input;
use crate::web::driver::{self, now, Shared};
use crate::web::http::global_fetch;
use crate::web::promise::{when_settled, Deferred, Then};

#[wasm_bindgen]
extern "C" {
    /// The `Request` class, for its constructor (web-sys' take typed inputs).
    #[wasm_bindgen(js_name = Request)]
    type RequestClass;
    /// `new Request(input, init)`: accepts whatever `fetch()` accepts and throws what it throws.
    #[wasm_bindgen(catch, constructor, js_class = "Request")]
    fn new(input: &JsValue, init: &JsValue) -> Result<RequestClass, JsValue>;
}

/// The request `fetch(input, init)` would send; throws what `fetch` would throw.
pub(super) fn request(input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
    RequestClass::new(input, init).map(JsCast::unchecked_into)
}

/// A token session authorizes the request and keeps an unsent copy for the
/// one retry after a 401: the 401 reports the token as rejected, the copy
/// waits for the shared refresh and is sent once. A cookie session sends the
/// request as is. Successful replies count as server activity. `reply`
/// settles the promise `fetch()` returned.
pub(super) fn authorized_fetch(shared: Shared, request: Request, reply: Deferred) {
    if !driver::token_session(&shared) {
        return send(&shared, request, reply.into_then());
    }
    let retry = match request.clone() {
        Ok(r) => r,
        Err(e) => return reply.settle(Err(e)),
    };
    let first = shared.clone();
    authorize(
        &first,
        request,
        Box::new(move |authorized| {
            let (request, token) = match authorized {
                Ok(a) => a,
                Err(e) => return reply.settle(Err(e)),
            };
            let sender = shared.clone();
            send(
                &sender,
                request,
                Box::new(move |response| {
                    let status = response.as_ref().ok().and_then(|r| r.dyn_ref::<Response>()).map(Response::status);
                    if status != Some(401) {
                        return reply.settle(response);
                    }
                    driver::handle(&shared, Input::TokenRejected(&token));
                    let again = shared.clone();
                    authorize(
                        &again,
                        retry,
                        Box::new(move |authorized| match authorized {
                            Ok((retry, _)) => send(&shared, retry, reply.into_then()),
                            Err(e) => reply.settle(Err(e)),
                        }),
                    );
                }),
            );
        }),
    );
}

/// Sends `request` through the page's `fetch`; a successful reply counts as
/// server activity. What a replaced `fetch()` fulfils with, if not a
/// `Response`, is passed on as is: the app's own business.
fn send(shared: &Shared, request: Request, then: Then<Result<JsValue, JsValue>>) {
    let sent_at = now();
    let sent = match global_fetch(&request, &JsValue::UNDEFINED) {
        Ok(p) => p,
        Err(e) => return then(Err(e)),
    };
    let shared = shared.clone();
    when_settled(
        &sent,
        Box::new(move |reply| {
            if reply.as_ref().ok().and_then(|r| r.dyn_ref::<Response>()).is_some_and(Response::ok) {
                driver::handle(&shared, Input::ServerTouched(sent_at));
            }
            then(reply)
        }),
    );
}

/// Waits for a valid token (the shared refresh if needed) and sets the bearer
/// header with the token the wait resolved with; `Err` when there is none or
/// the keeper was disposed meanwhile. Gives back the request and the token.
fn authorize(shared: &Shared, request: Request, then: Then<Result<(Request, String), JsValue>>) {
    let keeper = shared.clone();
    when_settled(
        &driver::token_promise(shared),
        Box::new(move |token| {
            let token = token.ok().and_then(|t| t.as_string()).filter(|_| !driver::disposed(&keeper));
            let Some(token) = token else {
                return then(Err(js_error(
                    "keep-session-alive: fetch() has no valid access token: signed out, idle, offline, the refresh failed, or the keeper was disposed",
                )));
            };
            let mut bearer = String::from("Bearer ");
            bearer.push_str(&token);
            then(request.headers().set("Authorization", &bearer).map(|()| (request, token)))
        }),
    );
}
