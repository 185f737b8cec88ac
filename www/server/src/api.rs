//! The `/api` routes: login, refresh, logout, keepalive, profile, session and
//! the optional test endpoints (counters, clock offset, fault switches), plus
//! the middleware that counts requests, injects armed faults and turns every
//! error reply into `{"error": "..."}`. Login and refresh replies, which
//! carry tokens, are `Cache-Control: no-store` (RFC 6749 §5.1).
//!
//! Login is throttled per account and per client address (see
//! [`Allowance`]), and at most `max_concurrent_hashes` password hashes run at
//! once. The state-changing routes pass [`guard::cross_site_refusal`] first.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, map_response, Next};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::clock::Clock;
use crate::config::Config;
use crate::counters::Counters;
use crate::faults::{FaultKind, FaultSpec, Faults};
use crate::guard::{self, Peer};
use crate::passwords::Passwords;
use crate::store::{millis, Allowance, Keepalive, Refresh, Store, StoreError};
use crate::tokens::{self, Claims, JwtError, Secret};

/// Session cookie (both modes).
pub const SID_COOKIE: &str = "ksa_sid";
/// Refresh-token cookie (token mode).
pub const RT_COOKIE: &str = "ksa_rt";
/// Largest accepted request body.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The demo accounts, printed at start-up.
pub const DEMO_USERS: &[(&str, &str)] =
    &[("demo@example.com", "demo-password"), ("alice@example.com", "alice-password")];

/// Shared state of one server instance.
pub struct AppState {
    config: Config,
    store: Arc<dyn Store>,
    secret: Secret,
    /// `(email, argon2 PHC string)`.
    users: Vec<(String, String)>,
    /// Verified against for unknown emails so they cost as much as known ones.
    dummy_hash: String,
    /// Shared with the connection loop, which counts connections in it.
    counters: Arc<Counters>,
    /// Checks passwords, at most `max_concurrent_hashes` at once.
    passwords: Arc<Passwords>,
    per_account: Allowance,
    per_client: Allowance,
    /// Every time the handlers read; offset only through `/api/test/clock`.
    clock: Arc<Clock>,
    /// Armed through `/api/test/faults`.
    faults: Faults,
}

impl AppState {
    /// Hashes the demo passwords (argon2id, random salts) and binds the store,
    /// the clock (the one the store reads too) and the counters.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        secret: &[u8],
        clock: Arc<Clock>,
        counters: Arc<Counters>,
    ) -> Result<Self, argon2::password_hash::Error> {
        let params = argon2::Params::new(
            config.argon2_memory_kib,
            argon2::Params::DEFAULT_T_COST,
            argon2::Params::DEFAULT_P_COST,
            None,
        )?;
        let hasher = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let hash = |pw: &str| -> Result<String, argon2::password_hash::Error> {
            let salt = SaltString::generate(&mut rand_core::OsRng);
            Ok(hasher.hash_password(pw.as_bytes(), &salt)?.to_string())
        };
        let users = DEMO_USERS
            .iter()
            .map(|(e, p)| Ok((e.to_string(), hash(p)?)))
            .collect::<Result<_, argon2::password_hash::Error>>()?;
        let dummy_hash = hash(&tokens::new_id())?;
        let window_ms = millis(config.login_failure_window);
        Ok(AppState {
            passwords: Arc::new(Passwords::new(config.max_concurrent_hashes, counters.clone())),
            per_account: Allowance { limit: config.login_failures_per_account, window_ms },
            per_client: Allowance { limit: config.login_failures_per_client, window_ms },
            config,
            store,
            secret: Secret::new(secret),
            users,
            dummy_hash,
            counters,
            clock,
            faults: Faults::default(),
        })
    }
}

type St = State<Arc<AppState>>;

/// An error reply: status plus `{"error": message}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl ApiError {
    /// `status` with `{"error": msg}`.
    pub fn new(status: StatusCode, msg: impl Into<String>) -> Self {
        ApiError(status, msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // The detail goes to the log, not to the client.
        eprintln!("ksa-server: {e}");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "session store unavailable")
    }
}

/// The `/api` router (to be nested at `/api`).
pub fn router(state: Arc<AppState>) -> Router {
    // Only where tokens are. Seen in the e2e suite: Chromium never reported
    // a no-store `/api/session` reply finished when the page's `fetch()` only
    // looked at its status and left the body unread, so the suite waited on
    // it at every step.
    let no_store = || SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut api = Router::new()
        .route("/auth/login", post(login).layer(no_store()))
        .route("/auth/refresh", post(refresh).layer(no_store()))
        .route("/auth/logout", post(logout))
        .route("/keepalive", post(keepalive))
        .route("/profile", get(profile))
        .route("/session", get(session));
    if state.config.test_endpoints {
        api = api
            .route("/test/counters", get(test_counters))
            .route("/test/reset", post(test_reset))
            .route("/test/clock", get(test_clock).post(test_set_clock))
            .route("/test/faults", get(test_faults).post(test_add_fault).delete(test_clear_faults))
            .layer(from_fn_with_state(state.clone(), inject_fault));
    }
    api.fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(from_fn_with_state(state.clone(), count_request))
        .layer(map_response(json_errors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn count_request(State(st): St, req: Request, next: Next) -> Response {
    let endpoint = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str());
    st.counters.request(endpoint);
    next.run(req).await
}

/// Rewrites axum's own error replies (405, 413, ...) into the JSON error
/// shape, keeping headers such as `Allow`.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let msg = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    let mut out = ApiError(status, msg).into_response();
    for (k, v) in resp.headers() {
        if k != CONTENT_TYPE && k != CONTENT_LENGTH {
            out.headers_mut().append(k.clone(), v.clone());
        }
    }
    out
}

/// Answers the request as an armed fault says, without running its handler
/// (so a faulted refresh rotates nothing). Only installed with test endpoints.
async fn inject_fault(State(st): St, req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let Some(kind) = path.and_then(|p| st.faults.take(&p)) else {
        return next.run(req).await;
    };
    Counters::bump(&st.counters.faults_injected);
    match kind {
        FaultKind::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            ApiError::new(status, "injected fault").into_response()
        }
        FaultKind::Hang(ms) => {
            // Dropped, sleep and all, when the client closes the connection.
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "injected fault: hung").into_response()
        }
        FaultKind::Malformed => ([(CONTENT_TYPE, "application/json")], "{\"accessToken\": \"trunc").into_response(),
    }
}

/// Value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Cookies get `Secure` unless the page is plain http on a loopback host,
/// where browsers would drop Secure cookies and the demo could not work.
/// Behind a TLS proxy the public Host (or `X-Forwarded-Proto: https`) makes
/// them Secure again.
fn secure_cookies(headers: &HeaderMap) -> bool {
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    https || !matches!(name, "localhost" | "127.0.0.1" | "::1")
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: u64, secure: bool) -> (&'static str, String) {
    let secure = if secure { "; Secure" } else { "" };
    let c = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    ("set-cookie", c)
}

fn clear_cookies(headers: &HeaderMap) -> AppendHeaders<[(&'static str, String); 2]> {
    let s = secure_cookies(headers);
    AppendHeaders([set_cookie(SID_COOKIE, "", "/api", 0, s), set_cookie(RT_COOKIE, "", "/api/auth", 0, s)])
}

impl AppState {
    fn lifetime_secs(&self) -> u64 {
        self.config.absolute_lifetime.as_secs().max(1)
    }

    /// `{"accessToken", "expiresIn"}` for `email` in session `sid`. The token
    /// names the session only by [`tokens::session_ref`]: page scripts read
    /// it, and the session id is the HttpOnly cookie's value.
    fn access_token(&self, email: &str, sid: &str) -> Json<serde_json::Value> {
        let iat = self.clock.now_ms() / 1000;
        let ttl = self.config.access_ttl.as_secs().max(1);
        let claims = Claims { sub: email.into(), sid: tokens::session_ref(&self.secret, sid), iat, exp: iat + ttl };
        Json(json!({ "accessToken": tokens::sign_jwt(&self.secret, &claims), "expiresIn": ttl }))
    }

    fn rt_cookie(&self, headers: &HeaderMap, family: &str, counter: u64) -> (&'static str, String) {
        let token = tokens::refresh_token(&self.secret, family, counter);
        set_cookie(RT_COOKIE, &token, "/api/auth", self.lifetime_secs(), secure_cookies(headers))
    }

    /// Revokes the sessions the request's cookies name (logout, and a login
    /// over an existing session).
    async fn revoke_named(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let family =
            cookie(headers, RT_COOKIE).and_then(|t| tokens::parse_refresh_token(&self.secret, t)).map(|(f, _)| f);
        let sid = cookie(headers, SID_COOKIE).map(str::to_string);
        for id in family.iter().chain(sid.iter().filter(|s| Some(*s) != family.as_ref())) {
            self.store.revoke(id.clone()).await?;
        }
        Ok(())
    }

    /// 429 for a spent login allowance.
    fn throttled(&self, retry_after_ms: u64) -> Response {
        Counters::bump(&self.counters.login_throttled);
        let secs = retry_after_ms.div_ceil(1000).max(1);
        let err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too many failed logins; retry later");
        ([(RETRY_AFTER, secs.to_string())], err).into_response()
    }
}

/// 403 unless the request passes the cross-site guard.
fn refuse_cross_site(headers: &HeaderMap) -> Result<(), ApiError> {
    match guard::cross_site_refusal(headers) {
        Some(why) => Err(ApiError::new(StatusCode::FORBIDDEN, why)),
        None => Ok(()),
    }
}

#[derive(Deserialize)]
struct LoginRequest {
    email: String,
    password: String,
    #[serde(default)]
    mode: Mode,
}

#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    Token,
    Cookie,
}

/// Login. In order: the cross-site guard (403) and a JSON body (415, 400);
/// then one attempt is taken from the client's allowance and the account's
/// (429 with `Retry-After` when either is spent, before any hashing); then
/// the password is checked (401). Success restores the account's allowance,
/// gives the client's attempt back, and ends the session the request's
/// cookies named, if any.
async fn login(
    State(st): St,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    refuse_cross_site(&headers)?;
    if !guard::is_json(&headers) {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "login expects Content-Type: application/json"));
    }
    let body = body.map_err(|r| ApiError::new(r.status(), r.body_text()))?;
    // serde's message quotes the input: say only what was expected.
    let req: LoginRequest = serde_json::from_slice(&body).map_err(|_| {
        let expected =
            r#"invalid login body: expected {"email": string, "password": string, "mode"?: "token" | "cookie"}"#;
        ApiError::new(StatusCode::BAD_REQUEST, expected)
    })?;
    let email = req.email.trim().to_ascii_lowercase();

    let now = st.clock.now_ms();
    let client =
        guard::allowance_key("client", &guard::client_address(&headers, peer, st.config.client_ip_header.as_deref()));
    let account = guard::allowance_key("account", &email);
    if let Some(ms) = st.store.take_attempt(client.clone(), st.per_client, now).await? {
        return Ok(st.throttled(ms));
    }
    if let Some(ms) = st.store.take_attempt(account.clone(), st.per_account, now).await? {
        // Nothing was checked: the client keeps its attempt.
        st.store.give_back(client, st.per_client, false, now).await?;
        return Ok(st.throttled(ms));
    }
    let known = st.users.iter().find(|(e, _)| *e == email);
    // Unknown emails are checked against a dummy hash so that they cost the same.
    let hash = known.map_or(st.dummy_hash.clone(), |(_, h)| h.clone());
    let verified = st.passwords.verify(hash, req.password).await;
    if !(verified && known.is_some()) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid email or password"));
    }
    st.store.give_back(account, st.per_account, true, now).await?;
    st.store.give_back(client, st.per_client, false, now).await?;
    st.revoke_named(&headers).await?;

    let sid = tokens::new_id();
    let token_mode = req.mode == Mode::Token;
    st.store.create(sid.clone(), email.clone(), token_mode, st.clock.now_ms()).await?;
    let sid_cookie = set_cookie(SID_COOKIE, &sid, "/api", st.lifetime_secs(), secure_cookies(&headers));
    if token_mode {
        let rt_cookie = st.rt_cookie(&headers, &sid, 0);
        Ok((AppendHeaders([sid_cookie, rt_cookie]), st.access_token(&email, &sid)).into_response())
    } else {
        Ok((AppendHeaders([sid_cookie]), Json(json!({}))).into_response())
    }
}

/// Refresh-token rotation. The token is `family.counter.mac`; the store
/// holds the family's current counter and last rotation time:
/// - counter == current: rotate (current + 1), set the new token.
/// - counter == current - 1 within `refresh_grace` of the last rotation (two
///   tabs racing with one cookie): no second rotation, no revocation; reply
///   with a fresh access token and set the cookie to the family's CURRENT
///   token, so whichever reply the browser applies last, its jar is valid.
/// - anything else (older, or previous after the grace window): reuse, so
///   the family and its session are revoked; 401.
/// - unknown family, idled-out or expired session: 401.
async fn refresh(State(st): St, headers: HeaderMap) -> Result<Response, ApiError> {
    refuse_cross_site(&headers)?;
    let unauthorized = |msg: &str| {
        let err = ApiError::new(StatusCode::UNAUTHORIZED, msg);
        Ok((clear_cookies(&headers), err).into_response())
    };
    let Some((family, counter)) = cookie(&headers, RT_COOKIE).and_then(|t| tokens::parse_refresh_token(&st.secret, t))
    else {
        Counters::bump(&st.counters.refresh_rejected);
        return unauthorized("missing or invalid refresh token");
    };
    let (email, current) = match st.store.refresh(family.clone(), counter, st.clock.now_ms()).await? {
        Refresh::Rotated { email, counter } => {
            Counters::bump(&st.counters.rotations);
            (email, counter)
        }
        Refresh::Grace { email, counter } => {
            Counters::bump(&st.counters.grace_replays);
            (email, counter)
        }
        Refresh::ReuseDetected => {
            Counters::bump(&st.counters.reuse_detections);
            Counters::bump(&st.counters.refresh_rejected);
            return unauthorized("refresh token reuse detected; session revoked");
        }
        Refresh::Dead => {
            Counters::bump(&st.counters.refresh_rejected);
            return unauthorized("session expired or revoked");
        }
    };
    let rt = st.rt_cookie(&headers, &family, current);
    Ok((AppendHeaders([rt]), st.access_token(&email, &family)).into_response())
}

/// Revokes whatever session the cookies name; 204 (after the cross-site guard).
async fn logout(State(st): St, headers: HeaderMap) -> Result<Response, ApiError> {
    refuse_cross_site(&headers)?;
    st.revoke_named(&headers).await?;
    Ok((StatusCode::NO_CONTENT, clear_cookies(&headers)).into_response())
}

async fn keepalive(State(st): St, headers: HeaderMap) -> Result<Response, ApiError> {
    refuse_cross_site(&headers)?;
    let Some(sid) = cookie(&headers, SID_COOKIE) else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "no session"));
    };
    match st.store.keepalive(sid.to_string(), st.clock.now_ms()).await? {
        Keepalive::Accepted => Ok(StatusCode::NO_CONTENT.into_response()),
        Keepalive::RateLimited { retry_after_ms } => {
            Counters::bump(&st.counters.keepalive_rate_limited);
            let secs = retry_after_ms.div_ceil(1000).max(1);
            let err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "keepalive too frequent");
            Ok(([(RETRY_AFTER, secs.to_string())], err).into_response())
        }
        Keepalive::NoSession => {
            Counters::bump(&st.counters.keepalive_rejected);
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "session expired"))
        }
    }
}

/// The cookie session's user. Like any request of an app with server
/// sessions, it slides the idle expiry (no rate limit: it is app traffic,
/// which is what lets `keeper.fetch()` stand in for a heartbeat).
async fn session(State(st): St, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(sid) = cookie(&headers, SID_COOKIE) else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "no session"));
    };
    match st.store.touch(sid.to_string(), st.clock.now_ms()).await? {
        Some(email) => Ok(Json(json!({ "email": email }))),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "session expired")),
    }
}

/// Stateless: an access token stays valid until its `exp` even after logout,
/// which is why it is short-lived.
async fn profile(State(st): St, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(token) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "missing bearer token"));
    };
    match tokens::verify_jwt(&st.secret, token.trim(), st.clock.now_ms() / 1000) {
        Ok(claims) => Ok(Json(json!({ "email": claims.sub }))),
        Err(JwtError::Expired) => {
            Counters::bump(&st.counters.expired_tokens);
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "access token expired"))
        }
        Err(JwtError::Invalid) => {
            Counters::bump(&st.counters.invalid_tokens);
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid access token"))
        }
    }
}

async fn test_counters(State(st): St) -> Json<serde_json::Value> {
    Json(st.counters.snapshot())
}

/// Zeroes the counters (the peaks restart from the present), disarms every
/// fault and sets the clock offset back to 0.
async fn test_reset(State(st): St) -> StatusCode {
    st.counters.reset();
    st.faults.clear();
    st.clock.set_offset_ms(0);
    StatusCode::NO_CONTENT
}

fn clock_json(clock: &Clock) -> Json<serde_json::Value> {
    Json(json!({ "offsetMs": clock.offset_ms(), "nowMs": clock.now_ms() }))
}

async fn test_clock(State(st): St) -> Json<serde_json::Value> {
    clock_json(&st.clock)
}

/// `{"offsetMs": n}` (may be negative) or `{"nowMs": t}` (the offset that
/// makes the server's time `t` now), exactly one of them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClockRequest {
    offset_ms: Option<i64>,
    now_ms: Option<u64>,
}

async fn test_set_clock(
    State(st): St,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = body.map_err(|r| ApiError::new(r.status(), r.body_text()))?;
    let bad = |msg: String| ApiError::new(StatusCode::BAD_REQUEST, msg);
    let req: ClockRequest = serde_json::from_slice(&body).map_err(|e| bad(format!("invalid clock body: {e}")))?;
    match (req.offset_ms, req.now_ms) {
        (Some(offset), None) => st.clock.set_offset_ms(offset),
        (None, Some(now)) => st.clock.set_now_ms(now),
        _ => return Err(bad("give exactly one of offsetMs and nowMs".into())),
    }
    Ok(clock_json(&st.clock))
}

async fn test_faults(State(st): St) -> Json<serde_json::Value> {
    Json(serde_json::Value::Array(st.faults.list().iter().map(|f| f.to_json()).collect()))
}

async fn test_add_fault(State(st): St, body: Result<Bytes, BytesRejection>) -> Result<StatusCode, ApiError> {
    let body = body.map_err(|r| ApiError::new(r.status(), r.body_text()))?;
    let bad = |msg: String| ApiError::new(StatusCode::BAD_REQUEST, msg);
    let spec: FaultSpec = serde_json::from_slice(&body).map_err(|e| bad(format!("invalid fault body: {e}")))?;
    st.faults.add(spec.fault().map_err(bad)?);
    Ok(StatusCode::NO_CONTENT)
}

async fn test_clear_faults(State(st): St) -> StatusCode {
    st.faults.clear();
    StatusCode::NO_CONTENT
}
