//! keep-session-alive: keeps a web session alive exactly as long as the user is there.
//!
//! - [`core`]: the sans-IO session engine (pure Rust, tested natively).
//! - `web` (wasm32 only): the browser driver that executes the engine's commands.
//! - `api` (wasm32 only): the JavaScript facade, `SessionKeeper`.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

pub mod core;
