//! The browser driver: the thin layer between the engine and the browser,
//! sorted by concern as the engine is. The facade reaches it through
//! [`Keeper`] alone.
//!
//! - `keeper`: the one face (start, input, state, token, login, fetch, dispose).
//! - `driver`: the driver type and its command loop.
//! - `lifecycle`: activity and the page's lifecycle events.
//! - `tab_locks`: the Web Locks the tabs share.
//! - `requests`: the SDK's own requests and the app's callbacks in their place.
//! - `app_fetch`: the app's `fetch()`.
//! - Bindings and helpers: `http`, `callback`, `channel`, `locks`, `handles`,
//!   `global`, `promise`, `js_values`.

mod app_fetch;
mod callback;
mod channel;
mod driver;
mod global;
mod handles;
mod http;
mod js_values;
mod keeper;
mod lifecycle;
mod locks;
mod promise;
mod requests;
mod tab_locks;

pub(crate) use app_fetch::FetchError;
pub(crate) use driver::now;
pub(crate) use http::RequestHeaders;
pub(crate) use js_values::{headers_from, session_from};
pub(crate) use keeper::{Keeper, KeeperOptions, StartError, WeakKeeper};
pub(crate) use promise::Deferred;
pub(crate) use requests::LoginError;
