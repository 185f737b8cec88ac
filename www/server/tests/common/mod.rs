//! The harness of the integration tests: servers in-process on 127.0.0.1
//! (memory store, or a real `redis-server` each test spawns and kills
//! itself; a missing redis-server fails those tests), and a client that
//! speaks to them as the SDK does.
#![allow(dead_code)] // each test file uses its own part of it

use std::net::{IpAddr, TcpListener as StdListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ksa_server::Config;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

pub const EMAIL: &str = "demo@example.com";
pub const PASSWORD: &str = "demo-password";
pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

/// A `redis-server` child on a free port, killed on drop.
pub struct RedisProc {
    child: Child,
    pub url: String,
}

impl RedisProc {
    pub fn start() -> RedisProc {
        let port = StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .args(["--bind", "127.0.0.1"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is required for these tests (Debian: apt-get install redis-server)");
        let mut r = RedisProc { child, url: format!("redis://127.0.0.1:{port}/") };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return r;
            }
            if let Ok(Some(status)) = r.child.try_wait() {
                panic!("redis-server exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start listening on port {port}");
    }
}

impl Drop for RedisProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Memory,
    Redis,
}

/// Test defaults: test endpoints on, cheap password hashing, fixed secret.
pub fn config() -> Config {
    Config {
        test_endpoints: true,
        argon2_memory_kib: 64,
        secret: Some(SECRET.to_vec()),
        www_dir: "/nonexistent-www".into(),
        pkg_dir: "/nonexistent-pkg".into(),
        ..Config::default()
    }
}

/// One or more server instances on one backend; everything stops on drop.
pub struct Env {
    pub servers: Vec<Client>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub redis: Option<RedisProc>,
}

impl Drop for Env {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Env {
    pub async fn start(backend: Backend, instances: usize, tweak: impl Fn(&mut Config)) -> Env {
        let redis = matches!(backend, Backend::Redis).then(RedisProc::start);
        let mut env = Env { servers: vec![], tasks: vec![], redis };
        for _ in 0..instances {
            let mut c = config();
            c.redis_url = env.redis.as_ref().map(|r| r.url.clone());
            tweak(&mut c);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            env.tasks.push(tokio::spawn(async move {
                ksa_server::serve(c, listener).await.unwrap();
            }));
            env.servers.push(Client::new(base, None));
        }
        env
    }

    pub fn a(&self) -> &Client {
        &self.servers[0]
    }
}

/// A reply, with its `Set-Cookie` values picked out.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Value the reply sets for cookie `name` ("" when it clears it).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie(name).map(|c| {
            let first = c.split(';').next().unwrap();
            first.split_once('=').unwrap().1.to_string()
        })
    }

    /// The whole `Set-Cookie` line for `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    pub fn token(&self) -> String {
        self.body["accessToken"].as_str().expect("accessToken in body").to_string()
    }
}

#[derive(Clone)]
pub struct Client {
    /// Sends `X-Requested-With` on every request, as the SDK does.
    pub http: reqwest::Client,
    /// Sends only what each request adds, as a page on another site would.
    pub raw: reqwest::Client,
    pub base: String,
}

impl Client {
    /// A client of the server at `base`, sending from `from` (any 127.x.y.z
    /// address is this machine) or the default loopback address.
    pub fn new(base: String, from: Option<IpAddr>) -> Client {
        let mut sdk = HeaderMap::new();
        sdk.insert("x-requested-with", HeaderValue::from_static("XMLHttpRequest"));
        let http = reqwest::Client::builder().default_headers(sdk).local_address(from).build().unwrap();
        let raw = reqwest::Client::builder().local_address(from).build().unwrap();
        Client { http, raw, base }
    }

    /// Another client of the same server, sending from `from`.
    pub fn from(&self, from: IpAddr) -> Client {
        Client::new(self.base.clone(), Some(from))
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        Reply { status, headers, body }
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }

    pub async fn login(&self, email: &str, password: &str, mode: Option<&str>) -> Reply {
        let mut body = json!({ "email": email, "password": password });
        if let Some(m) = mode {
            body["mode"] = json!(m);
        }
        self.send(self.post("/api/auth/login").json(&body)).await
    }

    /// Logs the demo user in (token mode); returns (sid, refresh token, access token).
    pub async fn login_token(&self) -> (String, String, String) {
        let r = self.login(EMAIL, PASSWORD, None).await;
        assert_eq!(r.status, 200, "{r:?}");
        (r.cookie("ksa_sid").unwrap(), r.cookie("ksa_rt").unwrap(), r.token())
    }

    pub async fn refresh(&self, rt: &str) -> Reply {
        self.send(self.post("/api/auth/refresh").header("cookie", format!("ksa_rt={rt}"))).await
    }

    pub async fn keepalive(&self, sid: &str) -> Reply {
        let req = self.post("/api/keepalive").header("x-requested-with", "ksa");
        self.send(req.header("cookie", format!("ksa_sid={sid}"))).await
    }

    pub async fn profile(&self, token: &str) -> Reply {
        let req = self.http.get(format!("{}/api/profile", self.base));
        self.send(req.bearer_auth(token)).await
    }

    pub async fn session(&self, sid: &str) -> Reply {
        let req = self.http.get(format!("{}/api/session", self.base));
        self.send(req.header("cookie", format!("ksa_sid={sid}"))).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.send(self.post(path).json(&body)).await
    }

    /// Moves the server's clock `ms` ahead of the wall clock.
    pub async fn clock_offset(&self, ms: i64) -> Reply {
        let r = self.post_json("/api/test/clock", json!({ "offsetMs": ms })).await;
        assert_eq!(r.status, 200, "{r:?}");
        r
    }

    pub async fn counters(&self) -> Value {
        let r = self.send(self.http.get(format!("{}/api/test/counters", self.base))).await;
        assert_eq!(r.status, 200);
        r.body
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs each named scenario `async fn name(Backend)` once per backend.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[tokio::test] async fn $name() { super::$name(super::Backend::Memory).await } )*
        }
        mod redis {
            $( #[tokio::test] async fn $name() { super::$name(super::Backend::Redis).await } )*
        }
    };
}
