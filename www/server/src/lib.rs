//! Reference HTTP server for keep-session-alive: demo login, short-lived
//! access JWTs, rotating refresh tokens with a grace window and reuse
//! detection, sliding idle and absolute session timeouts, a rate-limited
//! keepalive, and static files for the demo page.
//!
//! Tests start it in-process: bind a `TcpListener` on port 0 and call
//! [`serve`].
#![deny(missing_docs)]

pub mod api;
pub mod clock;
pub mod config;
pub mod counters;
pub mod faults;
pub mod redis_store;
pub mod store;
pub mod tokens;

use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

pub use config::Config;
use store::{MemoryStore, Policy, Store};

/// Any start-up error.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A ready-to-serve application.
pub struct App {
    /// All routes: `/api/...`, `/pkg/...`, and static files at `/`.
    pub router: Router,
    /// "memory" or "redis".
    pub store_kind: &'static str,
}

/// Connects the store, settles the signing secret and builds the routes.
pub async fn app(config: Config) -> Result<App, Error> {
    let policy =
        Policy::new(config.idle_timeout, config.absolute_lifetime, config.refresh_grace, config.keepalive_min_interval);
    let clock = Arc::new(clock::Clock::default());
    let store: Arc<dyn Store> = match &config.redis_url {
        Some(url) => Arc::new(redis_store::RedisStore::connect(url, policy, clock.clone()).await?),
        None => Arc::new(MemoryStore::new(policy)),
    };
    // Instances sharing a Redis must verify each other's tokens, so unless
    // KSA_SECRET is given the first instance's random secret is shared there.
    let secret = match &config.secret {
        Some(s) => s.clone(),
        None => store.shared_secret(tokens::random_bytes(32)).await?,
    };
    let store_kind = store.kind();
    let (www, pkg) = (config.www_dir.clone(), config.pkg_dir.clone());
    // Hashing the demo passwords takes a moment: do it off the runtime.
    let state = tokio::task::spawn_blocking(move || api::AppState::new(config, store, &secret, clock)).await??;
    let router = Router::new()
        .nest("/api", api::router(Arc::new(state)))
        .nest_service("/pkg", ServeDir::new(pkg))
        .fallback_service(ServeDir::new(www));
    Ok(App { router, store_kind })
}

/// Serves `config` on `listener` until the task is dropped.
pub async fn serve(config: Config, listener: TcpListener) -> Result<(), Error> {
    let app = app(config).await?;
    axum::serve(listener, app.router).await?;
    Ok(())
}
