//! keep-session-alive: keeps a web session alive exactly as long as the user is there.
//!
//! - [`core`]: the sans-IO session engine (pure Rust, tested natively).
//! - `web` (wasm32 only): the browser driver that executes the engine's commands.
//! - `api` (wasm32 only): the JavaScript facade, `SessionKeeper`.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

pub mod core;

// SAFETY: wasm32 without threads is single-threaded, which is the one
// condition AssumeSingleThreaded requires.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use api::SessionKeeper;
