//! End-to-end tests over real HTTP on 127.0.0.1. Session-store scenarios run
//! twice, against the in-memory store and against a real `redis-server` that
//! each test spawns (and kills) itself; a missing redis-server fails them.

mod common;

use std::time::Duration;

use common::*;
use ksa_server::tokens::{self, Claims, Secret};
use serde_json::{json, Value};
use tokio::time::sleep;

on_both_stores!(
    login_token_mode_sets_both_cookies_and_returns_a_working_jwt,
    login_cookie_mode_sets_only_the_session_cookie,
    login_with_bad_password_or_unknown_user_is_401,
    refresh_rotates_and_previous_token_is_reuse_after_grace,
    reusing_an_older_token_revokes_family_and_session,
    previous_token_within_grace_gets_current_token_without_rotating,
    logout_revokes_and_is_idempotent,
    keepalive_is_rate_limited_with_retry_after,
    keepalive_slides_idle_expiry_and_idle_session_dies,
    absolute_lifetime_ends_even_an_active_session,
    session_endpoint_slides_the_session_without_a_rate_limit,
    clock_offset_moves_token_expiry_and_session_timeouts,
);

// ---------------------------------------------------- scenarios, both stores

async fn login_token_mode_sets_both_cookies_and_returns_a_working_jwt(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await;
    let r = env.a().login(EMAIL, PASSWORD, Some("token")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["expiresIn"], 30);
    let rt = r.set_cookie("ksa_rt").unwrap();
    assert!(rt.contains("Path=/api/auth") && rt.contains("HttpOnly") && rt.contains("SameSite=Strict"));
    let sid = r.set_cookie("ksa_sid").unwrap();
    assert!(sid.contains("Path=/api;") && sid.contains("HttpOnly") && sid.contains("SameSite=Strict"));
    // Plain http on a loopback host: no Secure, or the browser would drop them.
    assert!(!rt.contains("Secure") && !sid.contains("Secure"));
    let p = env.a().profile(&r.token()).await;
    assert_eq!((p.status, p.body["email"].as_str()), (200, Some(EMAIL)));
}

async fn login_cookie_mode_sets_only_the_session_cookie(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await;
    let r = env.a().login(EMAIL, PASSWORD, Some("cookie")).await;
    assert_eq!((r.status, &r.body), (200, &json!({})));
    assert!(r.cookie("ksa_rt").is_none());
    let sid = r.cookie("ksa_sid").unwrap();
    assert_eq!(env.a().keepalive(&sid).await.status, 204);
    // No refresh family behind a cookie-only session: a refresh with the sid
    // as family cannot even forge a MAC, so it is 401.
    assert_eq!(env.a().refresh(&format!("{sid}.0.AAAA")).await.status, 401);
}

async fn login_with_bad_password_or_unknown_user_is_401(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await;
    for (email, pw) in [(EMAIL, "wrong"), ("nobody@example.com", PASSWORD)] {
        let r = env.a().login(email, pw, None).await;
        assert_eq!(r.status, 401);
        assert!(r.body["error"].is_string());
        assert!(r.headers.get("set-cookie").is_none());
    }
}

async fn refresh_rotates_and_previous_token_is_reuse_after_grace(b: Backend) {
    let env = Env::start(b, 1, |c| c.refresh_grace = ms(200)).await;
    let (_, rt0, _) = env.a().login_token().await;
    let r1 = env.a().refresh(&rt0).await;
    assert_eq!(r1.status, 200);
    let rt1 = r1.cookie("ksa_rt").unwrap();
    assert_ne!(rt1, rt0);
    assert_eq!(env.a().profile(&r1.token()).await.status, 200);
    sleep(ms(700)).await; // well past the 200 ms grace window
    let stale = env.a().refresh(&rt0).await;
    assert_eq!(stale.status, 401);
    assert_eq!(stale.cookie("ksa_rt").as_deref(), Some(""), "cookies are cleared");
    // Reuse revoked the family: the token that was current fails too.
    assert_eq!(env.a().refresh(&rt1).await.status, 401);
    let c = env.a().counters().await;
    assert_eq!((c["refreshRotations"].as_u64(), c["reuseDetections"].as_u64()), (Some(1), Some(1)));
}

async fn reusing_an_older_token_revokes_family_and_session(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await; // default 10 s grace
    let (sid, rt0, _) = env.a().login_token().await;
    let rt1 = env.a().refresh(&rt0).await.cookie("ksa_rt").unwrap();
    let rt2 = env.a().refresh(&rt1).await.cookie("ksa_rt").unwrap();
    // rt0 is two rotations old: no grace applies, whatever the clock says.
    assert_eq!(env.a().refresh(&rt0).await.status, 401);
    assert_eq!(env.a().refresh(&rt2).await.status, 401);
    assert_eq!(env.a().keepalive(&sid).await.status, 401, "session revoked with the family");
    assert_eq!(env.a().counters().await["reuseDetections"], 1);
}

async fn previous_token_within_grace_gets_current_token_without_rotating(b: Backend) {
    let env = Env::start(b, 1, |c| c.refresh_grace = ms(5000)).await;
    let (_, rt0, _) = env.a().login_token().await;
    let r1 = env.a().refresh(&rt0).await;
    let rt1 = r1.cookie("ksa_rt").unwrap();
    // A second tab still holding rt0 races in: same current token back.
    let g = env.a().refresh(&rt0).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.cookie("ksa_rt").unwrap(), rt1);
    assert_eq!(env.a().profile(&g.token()).await.status, 200);
    let c = env.a().counters().await;
    assert_eq!((c["refreshRotations"].as_u64(), c["graceReplays"].as_u64()), (Some(1), Some(1)));
    // Not revoked: the current token still rotates.
    let r2 = env.a().refresh(&rt1).await;
    assert_eq!(r2.status, 200);
    assert_ne!(r2.cookie("ksa_rt").unwrap(), rt1);
}

async fn logout_revokes_and_is_idempotent(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await;
    let (sid, rt, _) = env.a().login_token().await;
    let cookies = format!("ksa_sid={sid}; ksa_rt={rt}");
    let out = env.a().send(env.a().post("/api/auth/logout").header("cookie", &cookies)).await;
    assert_eq!(out.status, 204);
    assert_eq!(out.cookie("ksa_sid").as_deref(), Some(""));
    assert!(out.set_cookie("ksa_rt").unwrap().contains("Max-Age=0"));
    assert_eq!(env.a().refresh(&rt).await.status, 401);
    assert_eq!(env.a().keepalive(&sid).await.status, 401);
    let again = env.a().send(env.a().post("/api/auth/logout").header("cookie", &cookies)).await;
    assert_eq!(again.status, 204);
    assert_eq!(env.a().send(env.a().post("/api/auth/logout")).await.status, 204);
}

async fn keepalive_is_rate_limited_with_retry_after(b: Backend) {
    let env = Env::start(b, 1, |c| c.keepalive_min_interval = ms(5000)).await;
    let sid = env.a().login(EMAIL, PASSWORD, Some("cookie")).await.cookie("ksa_sid").unwrap();
    assert_eq!(env.a().keepalive(&sid).await.status, 204);
    let r = env.a().keepalive(&sid).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    assert_eq!(env.a().counters().await["keepaliveRateLimited"], 1);
}

async fn keepalive_slides_idle_expiry_and_idle_session_dies(b: Backend) {
    let env = Env::start(b, 1, |c| {
        c.idle_timeout = ms(1500);
        c.keepalive_min_interval = ms(100);
    })
    .await;
    let sid = env.a().login(EMAIL, PASSWORD, Some("cookie")).await.cookie("ksa_sid").unwrap();
    // Never touched below, so it idles out.
    let (_, idle_rt, _) = env.a().login_token().await;
    // 5 x 500 ms = 2.5 s, longer than the idle timeout: only sliding keeps it.
    for _ in 0..5 {
        sleep(ms(500)).await;
        assert_eq!(env.a().keepalive(&sid).await.status, 204);
    }
    // The untouched token-mode session idled out meanwhile: refresh refused.
    assert_eq!(env.a().refresh(&idle_rt).await.status, 401);
    sleep(ms(2500)).await;
    assert_eq!(env.a().keepalive(&sid).await.status, 401);
}

async fn absolute_lifetime_ends_even_an_active_session(b: Backend) {
    let env = Env::start(b, 1, |c| {
        c.absolute_lifetime = ms(1500);
        c.keepalive_min_interval = ms(100);
    })
    .await;
    let (sid, rt, _) = env.a().login_token().await;
    sleep(ms(300)).await;
    assert_eq!(env.a().keepalive(&sid).await.status, 204);
    let rt1 = env.a().refresh(&rt).await.cookie("ksa_rt").unwrap();
    sleep(ms(2000)).await;
    assert_eq!(env.a().keepalive(&sid).await.status, 401);
    assert_eq!(env.a().refresh(&rt1).await.status, 401);
}

async fn session_endpoint_slides_the_session_without_a_rate_limit(b: Backend) {
    let env = Env::start(b, 1, |c| {
        c.idle_timeout = ms(1500);
        c.keepalive_min_interval = ms(5000);
    })
    .await;
    let sid = env.a().login(EMAIL, PASSWORD, Some("cookie")).await.cookie("ksa_sid").unwrap();
    assert_eq!(env.a().keepalive(&sid).await.status, 204);
    // 5 x 500 ms = 2.5 s, longer than the idle timeout; each is well within
    // the keepalive's 5 s spacing, which app traffic does not have.
    for _ in 0..5 {
        sleep(ms(500)).await;
        let r = env.a().session(&sid).await;
        assert_eq!((r.status, r.body["email"].as_str()), (200, Some(EMAIL)), "{r:?}");
    }
    assert_eq!(env.a().counters().await["keepaliveRateLimited"], 0);
    let none = env.a().send(env.a().http.get(format!("{}/api/session", env.a().base))).await;
    assert_eq!(none.status, 401);
    sleep(ms(2000)).await;
    assert_eq!(env.a().session(&sid).await.status, 401, "idled out without traffic");
    assert_eq!(env.a().keepalive(&sid).await.status, 401);
    assert_eq!(env.a().counters().await["keepaliveRejected"], 1);
}

/// The test clock offset reaches every time the server reads: the JWT's
/// `iat`/`exp`, the idle timeout and the absolute lifetime, on both stores.
async fn clock_offset_moves_token_expiry_and_session_timeouts(b: Backend) {
    let env = Env::start(b, 1, |c| {
        c.access_ttl = Duration::from_secs(30);
        c.idle_timeout = Duration::from_secs(120);
        c.absolute_lifetime = Duration::from_secs(600);
        c.keepalive_min_interval = ms(0);
    })
    .await;
    let a = env.a();
    let (sid, rt0, token) = a.login_token().await;
    // 20 s later the token is still good; 31 s later it is expired.
    a.clock_offset(20_000).await;
    assert_eq!(a.profile(&token).await.status, 200);
    a.clock_offset(31_000).await;
    assert_eq!(a.profile(&token).await.status, 401);
    assert_eq!(a.counters().await["expiredTokensRejected"], 1);
    // A token issued at +31 s carries the shifted iat and works there.
    let r1 = a.refresh(&rt0).await;
    assert_eq!(r1.status, 200);
    assert_eq!(a.profile(&r1.token()).await.status, 200);
    let iat = |t: &str| {
        use base64::Engine;
        let payload = t.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["iat"].as_u64().unwrap()
    };
    assert!(iat(&r1.token()) >= iat(&token) + 30, "{} vs {}", iat(&r1.token()), iat(&token));
    // Sliding: touched at +31 s, alive at +150 s (119 s later), dead at +300 s.
    a.clock_offset(150_000).await;
    assert_eq!(a.keepalive(&sid).await.status, 204);
    a.clock_offset(300_000).await;
    assert_eq!(a.keepalive(&sid).await.status, 401);
    // Absolute: kept alive every 100 s, it still ends 600 s after login.
    let (sid2, _, _) = a.login_token().await;
    for at in [400_000, 500_000, 600_000, 700_000, 800_000] {
        a.clock_offset(at).await;
        assert_eq!(a.keepalive(&sid2).await.status, 204, "at +{at} ms");
    }
    a.clock_offset(901_000).await;
    assert_eq!(a.keepalive(&sid2).await.status, 401);
    // nowMs sets the offset from an absolute time; reset puts it back to 0.
    let clock = a.send(a.http.get(format!("{}/api/test/clock", a.base))).await;
    assert_eq!(clock.body["offsetMs"], 901_000);
    let target = clock.body["nowMs"].as_u64().unwrap() + 3_600_000;
    let set = a.post_json("/api/test/clock", json!({ "nowMs": target })).await;
    let offset = set.body["offsetMs"].as_i64().unwrap();
    assert!((4_400_000..4_600_000).contains(&offset), "offset {offset}");
    assert_eq!(a.send(a.post("/api/test/reset")).await.status, 204);
    let after = a.send(a.http.get(format!("{}/api/test/clock", a.base))).await;
    assert_eq!(after.body["offsetMs"], 0);
    for bad in [json!({}), json!({ "offsetMs": 1, "nowMs": 2 }), json!({ "offset": 1 })] {
        assert_eq!(a.post_json("/api/test/clock", bad).await.status, 400);
    }
}

// ------------------------------------------------------- HTTP layer (memory)

#[tokio::test]
async fn faults_answer_without_running_the_handler_then_run_out() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let a = env.a();
    let (_, rt0, _) = a.login_token().await;
    let arm = |body: Value| a.post_json("/api/test/faults", body);
    assert_eq!(arm(json!({ "path": "/api/auth/refresh", "kind": "status", "times": 2 })).await.status, 204);
    assert_eq!(arm(json!({ "path": "/api/auth/refresh", "kind": "malformed" })).await.status, 204);
    assert_eq!(arm(json!({ "path": "/api/auth/refresh", "kind": "hang", "ms": 300 })).await.status, 204);
    let listed = a.send(a.http.get(format!("{}/api/test/faults", a.base))).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3);
    for _ in 0..2 {
        let r = a.refresh(&rt0).await;
        assert_eq!((r.status, r.body["error"].as_str()), (503, Some("injected fault")));
        assert!(r.cookie("ksa_rt").is_none());
    }
    let raw = a.post("/api/auth/refresh").header("cookie", format!("ksa_rt={rt0}")).send().await.unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.headers()["content-type"], "application/json");
    assert!(serde_json::from_str::<Value>(&raw.text().await.unwrap()).is_err(), "malformed JSON");
    let started = std::time::Instant::now();
    assert_eq!(a.refresh(&rt0).await.status, 503);
    assert!(started.elapsed() >= ms(300), "the hang held the request");
    // No fault ran the handler: rt0 is still the current token and rotates once.
    let r = a.refresh(&rt0).await;
    assert_eq!(r.status, 200);
    let c = a.counters().await;
    assert_eq!((c["faultsInjected"].as_u64(), c["refreshRotations"].as_u64()), (Some(4), Some(1)));
    assert_eq!(c["requests"]["/api/auth/refresh"], 5, "faulted requests are counted too");

    // A client that gives up on a hang leaves nothing behind.
    assert_eq!(arm(json!({ "path": "/api/keepalive", "kind": "hang", "ms": 60000 })).await.status, 204);
    let quick = reqwest::Client::builder().timeout(ms(200)).build().unwrap();
    assert!(quick.post(format!("{}/api/keepalive", a.base)).send().await.is_err());
    assert_eq!(arm(json!({ "path": "/api/keepalive", "kind": "status", "status": 500, "times": 5 })).await.status, 204);
    assert_eq!(a.send(a.http.delete(format!("{}/api/test/faults", a.base))).await.status, 204);
    assert_eq!(a.send(a.http.get(format!("{}/api/test/faults", a.base))).await.body, json!([]));
    assert_eq!(arm(json!({ "path": "/api/keepalive", "kind": "status", "status": 500 })).await.status, 204);
    assert_eq!(a.send(a.post("/api/test/reset")).await.status, 204);
    assert_eq!(a.send(a.http.get(format!("{}/api/test/faults", a.base))).await.body, json!([]), "reset disarms");

    for bad in [
        json!({ "path": "/api/test/reset", "kind": "malformed" }),
        json!({ "path": "/api/auth/refresh", "kind": "explode" }),
        json!({ "path": "/api/auth/refresh", "kind": "status", "status": 204 }),
        json!({ "path": "/api/auth/refresh", "kind": "status", "times": 0 }),
        json!({ "path": "/api/auth/refresh", "kind": "status", "extra": true }),
    ] {
        let r = arm(bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert!(r.body["error"].is_string());
    }
}

#[tokio::test]
async fn keepalive_without_x_requested_with_is_403() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let sid = env.a().login(EMAIL, PASSWORD, Some("cookie")).await.cookie("ksa_sid").unwrap();
    let bare = env.a().raw.post(format!("{}/api/keepalive", env.a().base));
    let r = env.a().send(bare.header("cookie", format!("ksa_sid={sid}"))).await;
    assert_eq!(r.status, 403);
    assert!(r.body["error"].as_str().unwrap().contains("X-Requested-With"));
    let no_session = env.a().send(env.a().post("/api/keepalive").header("x-requested-with", "x")).await;
    assert_eq!(no_session.status, 401);
}

#[tokio::test]
async fn bad_input_gets_json_errors_with_the_right_status() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let a = env.a();
    let json_body =
        |body: &'static str| a.post("/api/auth/login").header("content-type", "application/json").body(body);
    let cases = [
        (json_body("{\"email\": "), 400),
        (json_body("{\"email\": \"x\"}"), 400),
        (a.post("/api/auth/login").json(&json!({"email": EMAIL, "password": PASSWORD, "mode": "magic"})), 400),
        (a.post("/api/auth/login").body(vec![b' '; 17 * 1024]), 413),
        (a.post("/api/nope"), 404),
        (a.http.get(format!("{}/api/auth/login", a.base)), 405),
        (a.http.delete(format!("{}/api/keepalive", a.base)), 405),
    ];
    for (req, status) in cases {
        let r = a.send(req).await;
        assert_eq!(r.status, status, "{r:?}");
        assert!(r.body["error"].is_string(), "{r:?}");
    }
    // Still serving afterwards.
    assert_eq!(a.login(EMAIL, PASSWORD, None).await.status, 200);
}

#[tokio::test]
async fn profile_accepts_valid_and_counts_expired_and_invalid_tokens_apart() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let (_, _, token) = env.a().login_token().await;
    assert_eq!(env.a().profile(&token).await.body, json!({ "email": EMAIL }));
    let past = Claims { sub: EMAIL.into(), sid: "s".into(), iat: 1_000, exp: 1_030 };
    let expired = tokens::sign_jwt(&Secret::new(SECRET), &past);
    let r = env.a().profile(&expired).await;
    assert_eq!((r.status, r.body["error"].as_str()), (401, Some("access token expired")));
    let forged = tokens::sign_jwt(&Secret::new(b"some other secret"), &Claims { exp: u64::MAX, ..past });
    assert_eq!(env.a().profile(&forged).await.status, 401);
    assert_eq!(env.a().profile("garbage").await.status, 401);
    let none = env.a().send(env.a().http.get(format!("{}/api/profile", env.a().base))).await;
    assert_eq!(none.status, 401);
    let c = env.a().counters().await;
    assert_eq!((c["expiredTokensRejected"].as_u64(), c["invalidTokensRejected"].as_u64()), (Some(1), Some(2)));
}

#[tokio::test]
async fn cookies_are_secure_except_plain_http_on_loopback() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let body = json!({ "email": EMAIL, "password": PASSWORD });
    let public = env.a().send(env.a().post("/api/auth/login").header("host", "app.example.com").json(&body)).await;
    assert!(public.set_cookie("ksa_rt").unwrap().ends_with("; Secure"));
    assert!(public.set_cookie("ksa_sid").unwrap().ends_with("; Secure"));
    let proxied = env.a().post("/api/auth/login").header("x-forwarded-proto", "https").json(&body);
    assert!(env.a().send(proxied).await.set_cookie("ksa_sid").unwrap().ends_with("; Secure"));
}

#[tokio::test]
async fn test_endpoints_count_reset_and_are_404_when_disabled() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    env.a().login_token().await;
    let c = env.a().counters().await;
    assert_eq!(c["requests"]["/api/auth/login"], 1);
    let reset = env.a().send(env.a().post("/api/test/reset")).await;
    assert_eq!(reset.status, 204);
    assert_eq!(env.a().counters().await["requests"]["/api/auth/login"], Value::Null);

    let off = Env::start(Backend::Memory, 1, |c| c.test_endpoints = false).await;
    for path in ["/api/test/counters", "/api/test/clock", "/api/test/faults"] {
        let r = off.a().send(off.a().http.get(format!("{}{path}", off.a().base))).await;
        assert_eq!(r.status, 404, "{path}");
    }
    assert_eq!(off.a().send(off.a().post("/api/test/reset")).await.status, 404);
    let arm = json!({ "path": "/api/auth/login", "kind": "status" });
    assert_eq!(off.a().post_json("/api/test/faults", arm).await.status, 404);
    assert_eq!(off.a().post_json("/api/test/clock", json!({ "offsetMs": 1 })).await.status, 404);
    assert_eq!(off.a().login(EMAIL, PASSWORD, None).await.status, 200);
}

#[tokio::test]
async fn serves_static_files_and_pkg() {
    let dir = std::env::temp_dir().join(format!("ksa-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("www/index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(dir.join("pkg/ksa.js"), "export {}").unwrap();
    let (www, pkg) = (dir.join("www"), dir.join("pkg"));
    let env = Env::start(Backend::Memory, 1, move |c| {
        c.www_dir = www.clone();
        c.pkg_dir = pkg.clone();
    })
    .await;
    let get = |p: &str| env.a().http.get(format!("{}{p}", env.a().base)).send();
    assert_eq!(get("/").await.unwrap().text().await.unwrap(), "<h1>demo</h1>");
    assert_eq!(get("/pkg/ksa.js").await.unwrap().text().await.unwrap(), "export {}");
    assert_eq!(get("/missing.html").await.unwrap().status(), 404);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------- two instances, one Redis

#[tokio::test]
async fn two_instances_share_sessions_and_detect_reuse_across_them() {
    let env = Env::start(Backend::Redis, 2, |c| c.secret = None).await; // secret shared via Redis
    let (a, b) = (&env.servers[0], &env.servers[1]);
    let (sid, rt0, token) = a.login_token().await;
    assert_eq!(b.profile(&token).await.status, 200, "B verifies A's access token");
    let r1 = b.refresh(&rt0).await;
    assert_eq!(r1.status, 200, "refresh on B of a token issued by A");
    let rt2 = a.refresh(&r1.cookie("ksa_rt").unwrap()).await.cookie("ksa_rt").unwrap();
    assert_eq!(b.keepalive(&sid).await.status, 204);
    assert_eq!(a.refresh(&rt0).await.status, 401, "stale token on A");
    assert_eq!(a.counters().await["reuseDetections"], 1);
    assert_eq!(b.refresh(&rt2).await.status, 401, "revocation seen by B");
    assert_eq!(b.keepalive(&sid).await.status, 401);
}

/// Same token on A and B at once, with a grace window: exactly one rotation;
/// the other is the grace reply carrying the same, current token.
#[tokio::test]
async fn concurrent_refresh_on_two_instances_rotates_once_and_graces_the_other() {
    let env = Env::start(Backend::Redis, 2, |_| {}).await;
    let (a, b) = (&env.servers[0], &env.servers[1]);
    let (_, rt0, _) = a.login_token().await;
    let (ra, rb) = tokio::join!(a.refresh(&rt0), b.refresh(&rt0));
    assert_eq!((ra.status, rb.status), (200, 200));
    assert_eq!(ra.cookie("ksa_rt"), rb.cookie("ksa_rt"), "both replies hold the current token");
    let (ca, cb) = (a.counters().await, b.counters().await);
    let sum = |k: &str| ca[k].as_u64().unwrap() + cb[k].as_u64().unwrap();
    assert_eq!((sum("refreshRotations"), sum("graceReplays"), sum("reuseDetections")), (1, 1, 0));
    assert_eq!(a.refresh(&ra.cookie("ksa_rt").unwrap()).await.status, 200);
}

/// Same race without a grace window: one rotates, the other is reuse, which
/// revokes the family, so even the winner's new token is dead.
#[tokio::test]
async fn concurrent_refresh_without_grace_rotates_once_and_revokes() {
    let env = Env::start(Backend::Redis, 2, |c| c.refresh_grace = Duration::ZERO).await;
    let (a, b) = (&env.servers[0], &env.servers[1]);
    let (_, rt0, _) = a.login_token().await;
    let (ra, rb) = tokio::join!(a.refresh(&rt0), b.refresh(&rt0));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let winner = if ra.status == 200 { ra } else { rb };
    let (ca, cb) = (a.counters().await, b.counters().await);
    let sum = |k: &str| ca[k].as_u64().unwrap() + cb[k].as_u64().unwrap();
    assert_eq!((sum("refreshRotations"), sum("reuseDetections")), (1, 1));
    assert_eq!(a.refresh(&winner.cookie("ksa_rt").unwrap()).await.status, 401);
}

#[tokio::test]
async fn redis_session_keys_carry_a_ttl() {
    let env = Env::start(Backend::Redis, 1, |c| c.idle_timeout = ms(1500)).await;
    let (sid, _, _) = env.a().login_token().await;
    let url = env.redis.as_ref().unwrap().url.clone();
    let mut conn = ::redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = ::redis::cmd("PTTL").arg(format!("ksa:s:{sid}")).query_async(&mut conn).await.unwrap();
    assert!(ttl > 0 && ttl <= 1500, "PTTL {ttl}");
}
