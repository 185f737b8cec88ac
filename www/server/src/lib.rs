//! Reference HTTP server for keep-session-alive: demo login, short-lived
//! access JWTs, rotating refresh tokens with a grace window and reuse
//! detection, sliding idle and absolute session timeouts, a rate-limited
//! keepalive, and static files for the demo page.
//!
//! Tests start it in-process: bind a `TcpListener` on port 0 and call
//! [`serve`].
#![deny(missing_docs)]

pub mod api;
pub mod body;
pub mod clock;
pub mod config;
pub mod counters;
pub mod faults;
pub mod guard;
pub mod passwords;
pub mod redis_store;
pub mod server;
pub mod store;
pub mod tokens;

use std::future::Future;
use std::sync::Arc;

use axum::http::header::{CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::http::HeaderValue;
use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;
use counters::Counters;
use store::{MemoryStore, Policy, Store};

pub use config::STATIC_CSP;

/// Any start-up error.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A ready-to-serve application.
pub struct App {
    /// All routes: `/api/...`, `/pkg/...`, and static files at `/`.
    pub router: Router,
    /// "memory" or "redis".
    pub store_kind: &'static str,
    /// The counters `/api/test/counters` shows; [`server::run`] counts
    /// connections in them.
    pub counters: Arc<Counters>,
    /// The connection limits from the configuration.
    pub limits: server::Limits,
}

/// Connects the store, settles the signing secret and builds the routes.
pub async fn app(config: Config) -> Result<App, Error> {
    let policy = Policy::new(
        config.idle_timeout,
        config.absolute_lifetime,
        config.refresh_grace,
        config.keepalive_min_interval,
        config.max_sessions_per_user,
    );
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
    let limits =
        server::Limits { header_read_timeout: config.header_read_timeout, max_connections: config.max_connections };
    let body_read_timeout = config.body_read_timeout;
    let csp = match config.static_csp.as_str() {
        "" => None,
        policy => Some(HeaderValue::from_str(policy).map_err(|_| "the static CSP is not a valid header value")?),
    };
    let counters = Arc::new(Counters::default());
    let shared = counters.clone();
    // Hashing the demo passwords takes a moment: do it off the runtime.
    let state =
        tokio::task::spawn_blocking(move || api::AppState::new(config, store, &secret, clock, shared)).await??;
    let header = |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    let statics = Router::new()
        .nest_service("/pkg", ServeDir::new(pkg))
        .fallback_service(ServeDir::new(www))
        .layer(SetResponseHeaderLayer::if_not_present(CONTENT_SECURITY_POLICY, csp))
        .layer(header(X_FRAME_OPTIONS, "DENY"));
    let router = Router::new()
        .nest("/api", api::router(Arc::new(state)))
        .merge(statics)
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(from_fn_with_state(body_read_timeout, body::read_in_time));
    Ok(App { router, store_kind, counters, limits })
}

/// Serves `config` on `listener` until the task is dropped.
pub async fn serve(config: Config, listener: TcpListener) -> Result<(), Error> {
    let app = app(config).await?;
    serve_app(app, listener, std::future::pending()).await;
    Ok(())
}

/// Serves a built [`App`] on `listener` until `shutdown` completes (see
/// [`server::run`]).
pub async fn serve_app(app: App, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    server::run(listener, app.router, app.limits, app.counters, shutdown).await;
}
