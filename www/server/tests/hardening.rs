//! The server's defences, over real HTTP on 127.0.0.1: login throttling and
//! the bound on concurrent password hashes, slow clients and the connection
//! cap, the access token's session reference, the cross-site guard, and the
//! smaller ones (one grace replay, no-store, static headers, sessions per
//! user, terse errors). Timeouts are short here; no test asserts how long
//! anything took, only that the server closed a connection within a
//! generous bound.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most a test waits for the server to close a connection.
const CLOSE_BOUND: Duration = Duration::from_secs(20);

on_both_stores!(
    bad_logins_for_one_account_get_429_until_the_allowance_comes_back,
    a_burst_of_concurrent_bad_logins_is_cut_off_at_the_allowance,
    bad_logins_from_one_client_get_429_whatever_the_account,
    the_access_token_names_its_session_without_the_cookie_value,
    a_grace_replay_is_answered_once_then_counts_as_reuse,
    a_new_login_ends_the_session_its_cookies_named,
    sessions_per_user_are_bounded_to_the_newest,
);

fn retry_after(r: &Reply) -> u64 {
    r.headers["retry-after"].to_str().unwrap().parse().unwrap()
}

// ---------------------------------------------------------- brute force

async fn bad_logins_for_one_account_get_429_until_the_allowance_comes_back(b: Backend) {
    let env = Env::start(b, 1, |c| {
        c.login_failures_per_account = 3;
        c.login_failure_window = Duration::from_secs(60); // one attempt back each 20 s
    })
    .await;
    let a = env.a();
    for _ in 0..3 {
        assert_eq!(a.login(EMAIL, "wrong", None).await.status, 401);
    }
    let r = a.login(EMAIL, "wrong", None).await;
    assert_eq!(r.status, 429, "{r:?}");
    let retry = retry_after(&r);
    assert!((1..=20).contains(&retry), "Retry-After {retry}");
    assert!(r.headers.get("set-cookie").is_none());
    // Not checked while the allowance is spent, even the right password.
    assert_eq!(a.login(EMAIL, PASSWORD, None).await.status, 429);
    // Another account from the same client is not held up.
    assert_eq!(a.login("alice@example.com", "alice-password", None).await.status, 200);
    // Once Retry-After has passed on the server's clock, an attempt is admitted.
    a.clock_offset(i64::try_from(retry * 1000).unwrap()).await;
    assert_eq!(a.login(EMAIL, PASSWORD, None).await.status, 200);
    // A successful login restores the whole allowance.
    for _ in 0..3 {
        assert_eq!(a.login(EMAIL, "wrong", None).await.status, 401);
    }
    assert_eq!(a.login(EMAIL, "wrong", None).await.status, 429);
    assert_eq!(a.counters().await["loginThrottled"], 3);
}

async fn a_burst_of_concurrent_bad_logins_is_cut_off_at_the_allowance(b: Backend) {
    let env = Env::start(b, 1, |c| c.login_failures_per_account = 3).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let a = env.a().clone();
            tokio::spawn(async move { a.login(EMAIL, &format!("guess-{i}"), None).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let count = |s| statuses.iter().filter(|x| **x == s).count();
    assert_eq!((count(401), count(429)), (3, 17), "{statuses:?}");
}

async fn bad_logins_from_one_client_get_429_whatever_the_account(b: Backend) {
    let env = Env::start(b, 1, |c| c.login_failures_per_client = 4).await;
    let a = env.a();
    for i in 0..4 {
        assert_eq!(a.login(&format!("nobody{i}@example.com"), "x", None).await.status, 401);
    }
    let r = a.login("nobody9@example.com", "x", None).await;
    assert_eq!(r.status, 429, "{r:?}");
    assert!(retry_after(&r) >= 1);
    assert_eq!(a.login(EMAIL, PASSWORD, None).await.status, 429, "the client's allowance is spent");
    // Another address on this machine is another client.
    let other = a.from("127.0.0.2".parse::<IpAddr>().unwrap());
    assert_eq!(other.login(EMAIL, PASSWORD, None).await.status, 200);
}

#[tokio::test]
async fn behind_a_proxy_the_client_is_the_address_its_header_names() {
    let env = Env::start(Backend::Memory, 1, |c| {
        c.login_failures_per_client = 2;
        c.client_ip_header = Some("x-real-ip".into());
    })
    .await;
    let a = env.a();
    let from = |ip: &str| {
        let body = json!({ "email": "nobody@example.com", "password": "x" });
        a.send(a.post("/api/auth/login").header("x-real-ip", ip).json(&body))
    };
    assert_eq!(from("203.0.113.1").await.status, 401);
    assert_eq!(from("203.0.113.1").await.status, 401);
    assert_eq!(from("203.0.113.1").await.status, 429);
    assert_eq!(from("203.0.113.2").await.status, 401);
}

#[tokio::test]
async fn password_hashes_run_at_most_max_concurrent_hashes_at_once() {
    let env = Env::start(Backend::Memory, 1, |c| {
        c.max_concurrent_hashes = 2;
        // Long enough per hash (in a debug build) for 16 at once to overlap.
        c.argon2_memory_kib = 1024;
        c.login_failures_per_client = 100;
    })
    .await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let a = env.a().clone();
            tokio::spawn(async move { a.login(&format!("nobody{i}@example.com"), "x", None).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 401);
    }
    let c = env.a().counters().await;
    let peak = c["hashesInFlightPeak"].as_u64().expect("hashesInFlightPeak");
    assert!((1..=2).contains(&peak), "at most 2 hashes at once, saw {peak}");
    assert_eq!(c["hashesInFlight"], 0);
}

// --------------------------------------------------------- slow clients

fn addr(env: &Env) -> String {
    env.a().base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection (whatever it sends first);
/// what it sent, or `None` if it was still open after `CLOSE_BOUND`.
async fn until_closed(s: &mut (impl AsyncReadExt + Unpin)) -> Option<String> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(CLOSE_BOUND, read).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn silent_partial_and_trickled_headers_are_disconnected() {
    let env = Env::start(Backend::Memory, 1, |c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut silent = TcpStream::connect(addr(&env)).await.unwrap();
    let mut partial = TcpStream::connect(addr(&env)).await.unwrap();
    partial.write_all(b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    let (mut trickle_in, mut trickle_out) = TcpStream::connect(addr(&env)).await.unwrap().into_split();
    // One byte every 300 ms, each well within the timeout, until the server
    // hangs up (at most 200 bytes).
    let writer = tokio::spawn(async move {
        for byte in b"GET / HTTP/1.1\r\nX-Slow: ".iter().chain([b'a'; 200].iter()) {
            if trickle_out.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    assert!(until_closed(&mut silent).await.is_some(), "a silent connection is closed");
    assert!(until_closed(&mut partial).await.is_some(), "a partial header is not waited on forever");
    assert!(until_closed(&mut trickle_in).await.is_some(), "a trickled header is closed at the header deadline");
    writer.abort();
    // The server still serves everyone else.
    assert_eq!(env.a().login(EMAIL, PASSWORD, None).await.status, 200);
}

#[tokio::test]
async fn a_body_that_does_not_arrive_gets_408_and_the_connection_closes() {
    let env = Env::start(Backend::Memory, 1, |c| c.body_read_timeout = Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(addr(&env)).await.unwrap();
    let head = "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Requested-With: x\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    s.write_all(head.as_bytes()).await.unwrap();
    let reply = until_closed(&mut s).await.expect("the server closes the connection");
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.to_ascii_lowercase().contains("connection: close"), "{reply}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let env = Env::start(Backend::Memory, 1, |c| {
        c.max_connections = 2;
        c.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(addr(&env)).await.unwrap());
    }
    // Answered once the held connections have been closed one by one.
    let c = tokio::time::timeout(CLOSE_BOUND, env.a().counters()).await.expect("served after the held ones");
    let peak = c["connectionsOpenPeak"].as_u64().expect("connectionsOpenPeak");
    assert!((1..=2).contains(&peak), "at most 2 connections at once, saw {peak}");
    for s in &mut held {
        assert!(until_closed(s).await.is_some(), "every held connection is closed");
    }
}

// ----------------------------------------------- the token and the cookie

fn claims(token: &str) -> Value {
    serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

async fn the_access_token_names_its_session_without_the_cookie_value(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await;
    let a = env.a();
    let (sid, rt, token) = a.login_token().await;
    let family = rt.split('.').next().unwrap().to_string();
    let c = claims(&token);
    for (k, v) in c.as_object().unwrap() {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
        assert!(!v.contains(&sid) && !v.contains(&family), "claim {k} = {v} carries the session id {sid}");
    }
    // The token's reference cannot stand in for the cookie.
    let reference = c["sid"].as_str().expect("an opaque sid claim");
    assert_eq!(a.session(reference).await.status, 401);
    assert_eq!(a.keepalive(reference).await.status, 401);
    let out = a.post("/api/auth/logout").header("cookie", format!("ksa_sid={reference}"));
    assert_eq!(a.send(out).await.status, 204);
    assert_eq!(a.session(&sid).await.status, 200, "the real session is untouched");
    // A refreshed token carries the same reference.
    let r = a.refresh(&rt).await;
    assert_eq!(claims(&r.token())["sid"].as_str(), Some(reference));
}

// -------------------------------------------------------- cross-site

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let a = env.a();
    let url = |path: &str| format!("{}{path}", a.base);
    let body = json!({ "email": EMAIL, "password": PASSWORD });
    let refused = |r: &Reply, what: &str| {
        assert_eq!(r.status, 403, "{what}: {r:?}");
        assert!(r.headers.get("set-cookie").is_none(), "{what} sets no cookie");
    };
    // A form on another site posting text/plain (login CSRF), with and without Sec-Fetch-Site.
    let form = || a.raw.post(url("/api/auth/login")).header("content-type", "text/plain").body(body.to_string());
    refused(&a.send(form().header("origin", "https://evil.example")).await, "form login");
    refused(&a.send(form().header("sec-fetch-site", "cross-site")).await, "form login, fetch metadata");
    refused(&a.send(form()).await, "form login, no origin");
    // The custom header does not make a cross-site request acceptable.
    let xrw = a.post("/api/auth/login").header("sec-fetch-site", "cross-site").json(&body);
    refused(&a.send(xrw).await, "login with X-Requested-With from another site");
    // Login takes JSON only.
    let text = a.send(a.post("/api/auth/login").header("content-type", "text/plain").body(body.to_string())).await;
    assert_eq!(text.status, 415, "{text:?}");
    assert!(text.headers.get("set-cookie").is_none());
    // A page of this server's own origin passes without the custom header.
    let own = a.send(a.raw.post(url("/api/auth/login")).header("origin", &a.base).json(&body)).await;
    assert_eq!(own.status, 200, "{own:?}");

    // Refresh, logout and keepalive from another site: refused, nothing cleared or revoked.
    let (sid, rt, _) = a.login_token().await;
    let cookies = format!("ksa_sid={sid}; ksa_rt={rt}");
    for path in ["/api/auth/refresh", "/api/auth/logout", "/api/keepalive"] {
        let req = a.raw.post(url(path)).header("cookie", &cookies).header("origin", "https://evil.example");
        refused(&a.send(req).await, path);
        let req = a.post(path).header("cookie", &cookies).header("sec-fetch-site", "cross-site");
        refused(&a.send(req).await, path);
    }
    assert_eq!(a.session(&sid).await.status, 200, "the session lives");
    assert_eq!(a.refresh(&rt).await.status, 200, "the refresh token was not spent");
}

// ------------------------------------------------------------- smaller

async fn a_grace_replay_is_answered_once_then_counts_as_reuse(b: Backend) {
    let env = Env::start(b, 1, |c| c.refresh_grace = Duration::from_secs(5)).await;
    let a = env.a();
    let (_, rt0, _) = a.login_token().await;
    let rt1 = a.refresh(&rt0).await.cookie("ksa_rt").unwrap();
    let raced = a.refresh(&rt0).await;
    assert_eq!((raced.status, raced.cookie("ksa_rt")), (200, Some(rt1.clone())));
    let replayed = a.refresh(&rt0).await;
    assert_eq!(replayed.status, 401, "a second replay is not a race: {replayed:?}");
    assert_eq!(a.refresh(&rt1).await.status, 401, "the family is revoked");
    let c = a.counters().await;
    assert_eq!((c["graceReplays"].as_u64(), c["reuseDetections"].as_u64()), (Some(1), Some(1)));
}

async fn a_new_login_ends_the_session_its_cookies_named(b: Backend) {
    let env = Env::start(b, 1, |_| {}).await;
    let a = env.a();
    let (sid1, rt1, _) = a.login_token().await;
    let body = json!({ "email": "alice@example.com", "password": "alice-password" });
    let again = a.post("/api/auth/login").header("cookie", format!("ksa_sid={sid1}; ksa_rt={rt1}")).json(&body);
    let r = a.send(again).await;
    assert_eq!(r.status, 200);
    let sid2 = r.cookie("ksa_sid").unwrap();
    assert_eq!(a.session(&sid1).await.status, 401, "the old session ended");
    assert_eq!(a.refresh(&rt1).await.status, 401);
    assert_eq!(a.session(&sid2).await.body["email"], "alice@example.com");
}

async fn sessions_per_user_are_bounded_to_the_newest(b: Backend) {
    let env = Env::start(b, 1, |c| c.max_sessions_per_user = 2).await;
    let a = env.a();
    let alice = a.login("alice@example.com", "alice-password", Some("cookie")).await.cookie("ksa_sid").unwrap();
    let mut sids = Vec::new();
    for _ in 0..3 {
        sids.push(a.login(EMAIL, PASSWORD, Some("cookie")).await.cookie("ksa_sid").unwrap());
    }
    assert_eq!(a.session(&sids[0]).await.status, 401, "the oldest went");
    assert_eq!(a.session(&sids[1]).await.status, 200);
    assert_eq!(a.session(&sids[2]).await.status, 200);
    assert_eq!(a.session(&alice).await.status, 200, "other users keep theirs");
}

#[tokio::test]
async fn token_replies_are_not_to_be_cached() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let a = env.a();
    let login = a.login(EMAIL, PASSWORD, None).await;
    let refresh = a.refresh(&login.cookie("ksa_rt").unwrap()).await;
    let bad = a.login(EMAIL, "wrong", None).await;
    for r in [&login, &refresh, &bad] {
        assert_eq!(r.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{r:?}");
    }
}

#[tokio::test]
async fn static_files_carry_a_csp_nosniff_and_frame_protection() {
    let dir = std::env::temp_dir().join(format!("ksa-csp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    let www = dir.clone();
    let env = Env::start(Backend::Memory, 1, move |c| c.www_dir = www.clone()).await;
    let page = env.a().http.get(format!("{}/", env.a().base)).send().await.unwrap();
    let h = |name: &str| page.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(h("content-security-policy").contains("frame-ancestors 'none'"), "{}", h("content-security-policy"));
    assert_eq!(h("x-frame-options"), "DENY");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("content-security-policy"), ksa_server::STATIC_CSP);
    let api = env.a().login(EMAIL, "wrong", None).await;
    assert_eq!(api.headers["x-content-type-options"], "nosniff");
    // `--csp ''`: no policy (a site's pages may need their own), the rest stays.
    let www = dir.clone();
    let off = Env::start(Backend::Memory, 1, move |c| {
        c.www_dir = www.clone();
        c.static_csp = String::new();
    })
    .await;
    let page = off.a().http.get(format!("{}/", off.a().base)).send().await.unwrap();
    assert!(page.headers().get("content-security-policy").is_none());
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The demo page (www/index.html, www/app.js) runs under the header CSP: it
/// is the page's own `<meta>` policy, which the page is built for (module
/// script from its origin, wasm, no inline script or style), plus
/// `frame-ancestors`.
#[test]
fn the_static_csp_is_the_demo_pages_own_plus_frame_ancestors() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../index.html")).unwrap();
    let meta = page.split("http-equiv=\"Content-Security-Policy\"").nth(1).expect("the demo page has a CSP meta");
    let policy = meta.split("content=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(ksa_server::STATIC_CSP, format!("{policy}; frame-ancestors 'none'"));
    assert!(!page.contains("<script>") && !page.contains("<style") && !page.contains(" style="), "no inline code");
}

#[tokio::test]
async fn error_replies_do_not_echo_the_input() {
    let env = Env::start(Backend::Memory, 1, |_| {}).await;
    let a = env.a();
    let evil = "<script>steal()</script>";
    for body in [
        json!({ "email": EMAIL, "password": "x", "mode": evil }),
        json!({ "email": 987654321, "password": evil }),
        json!({ evil: 1 }),
    ] {
        let r = a.post_json("/api/auth/login", body.clone()).await;
        assert_eq!(r.status, 400, "{body}");
        let msg = r.body["error"].as_str().unwrap();
        assert!(!msg.contains("script") && !msg.contains("987654321"), "{body} -> {msg}");
    }
}
