//! The browser driver: the thin layer between the engine and the browser.

pub(crate) mod callback;
pub(crate) mod channel;
pub(crate) mod driver;
pub(crate) mod global;
pub(crate) mod handles;
pub(crate) mod http;
pub(crate) mod js_values;
pub(crate) mod locks;
pub(crate) mod promise;
