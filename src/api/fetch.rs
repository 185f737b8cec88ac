//! `keeper.fetch()`: the app's request with the bearer token of a token
//! session, one retry after the shared refresh when the server answers 401,
//! and successful replies counted as server activity.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use super::js_error;
use crate::core::Input;
use crate::web::driver::{self, now, Shared};
use crate::web::http::global_fetch;

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
/// request as is. Successful replies count as server activity.
pub(super) async fn authorized_fetch(shared: &Shared, request: Request) -> Result<JsValue, JsValue> {
    if !driver::token_session(shared) {
        return send(shared, request).await;
    }
    let retry = request.clone()?;
    let token = authorize(shared, &request).await?;
    let response = send(shared, request).await?;
    if !response.dyn_ref::<Response>().is_some_and(|r| r.status() == 401) {
        return Ok(response);
    }
    driver::handle(shared, Input::TokenRejected(&token));
    authorize(shared, &retry).await?;
    send(shared, retry).await
}

/// Sends `request` through the page's `fetch`; a successful reply counts as
/// server activity. What a replaced `fetch()` fulfils with, if not a
/// `Response`, is passed on as is: the app's own business.
async fn send(shared: &Shared, request: Request) -> Result<JsValue, JsValue> {
    let sent_at = now();
    let reply = JsFuture::from(global_fetch(&request, &JsValue::UNDEFINED)?).await?;
    if reply.dyn_ref::<Response>().is_some_and(Response::ok) {
        driver::handle(shared, Input::ServerTouched(sent_at));
    }
    Ok(reply)
}

/// Waits for a valid token (the shared refresh if needed) and sets the bearer
/// header with the token the wait resolved with; `Err` when there is none or
/// the keeper was disposed meanwhile. Returns the token.
async fn authorize(shared: &Shared, request: &Request) -> Result<String, JsValue> {
    let token = JsFuture::from(driver::token_promise(shared)).await.ok().and_then(|t| t.as_string());
    let Some(token) = token.filter(|_| !driver::disposed(shared)) else {
        return Err(js_error(
            "keep-session-alive: fetch() has no valid access token: signed out, idle, offline, the refresh failed, or the keeper was disposed",
        ));
    };
    let mut bearer = String::from("Bearer ");
    bearer.push_str(&token);
    request.headers().set("Authorization", &bearer)?;
    Ok(token)
}
