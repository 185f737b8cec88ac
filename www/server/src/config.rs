//! Server configuration: defaults, command-line flags and environment variables.
//!
//! Durations are kept as [`Duration`] so tests can use sub-second timeouts even
//! though the command line speaks in whole seconds or milliseconds.

use std::path::PathBuf;
use std::time::Duration;

/// Content-Security-Policy of the static files by default: the demo page's
/// own (its `<meta>` says the same), plus `frame-ancestors`, which only a
/// header can set. Scripts and styles from this origin only, no inline ones;
/// the wasm module needs `'wasm-unsafe-eval'`.
pub const STATIC_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// The default CSP with `--test-endpoints`: [`STATIC_CSP`] plus `'unsafe-eval'`,
/// because the end-to-end suite's WebKit harness evaluates code inside its
/// pages (WebDriver's own scripts are exempt from CSP; an `eval` they make the
/// page run is not).
pub const STATIC_CSP_FOR_TESTS: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; \
connect-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Everything the server needs to start. `Config::default()` is the documented
/// default of every flag.
#[derive(Clone, Debug)]
pub struct Config {
    /// Listen address (`--addr`, `KSA_ADDR`). Default `127.0.0.1:8080`.
    pub addr: String,
    /// Static files served at `/` (`--www-dir`). Default `www`.
    pub www_dir: PathBuf,
    /// Wasm package served at `/pkg/` (`--pkg-dir`). Default `pkg`.
    pub pkg_dir: PathBuf,
    /// Redis URL (`REDIS_URL`); `None` selects the in-memory store.
    pub redis_url: Option<String>,
    /// Enables `/api/test/*`: counters, reset, clock offset, fault switches
    /// (`--test-endpoints`, `KSA_TEST_ENDPOINTS=1`). Default off.
    pub test_endpoints: bool,
    /// Access-token lifetime (`--access-ttl-secs`). Default 30 s.
    pub access_ttl: Duration,
    /// Sliding server-session idle timeout (`--idle-timeout-secs`). Default 120 s.
    pub idle_timeout: Duration,
    /// Absolute lifetime of a session and its refresh family
    /// (`--absolute-lifetime-secs`). Default 3600 s.
    pub absolute_lifetime: Duration,
    /// How long the previous refresh token is still answered after a rotation
    /// (`--refresh-grace-ms`). Default 10 000 ms.
    pub refresh_grace: Duration,
    /// Minimum spacing of accepted keepalives per session
    /// (`--keepalive-min-interval-ms`). Default 1000 ms.
    pub keepalive_min_interval: Duration,
    /// Signing secret shared by instances (`KSA_SECRET`, at least 32 bytes).
    /// `None`: random per process, or shared through Redis when Redis is used.
    pub secret: Option<Vec<u8>>,
    /// Argon2id memory cost in KiB for the demo password hashes. Default
    /// 19456 (OWASP's recommendation). No flag: only tests lower it, because
    /// unoptimised debug builds take about a second per hash at the default.
    pub argon2_memory_kib: u32,
    /// Password hashes computed at once (`--max-concurrent-hashes`); further
    /// logins wait their turn. Each costs `argon2_memory_kib` of memory, so
    /// this bounds the memory logins can take. Default: the number of CPUs.
    pub max_concurrent_hashes: usize,
    /// Failed logins one account may take in a burst
    /// (`--login-failures-per-account`); the allowance comes back evenly over
    /// `login_failure_window`, and a successful login restores it. Default 5.
    pub login_failures_per_account: u32,
    /// Failed logins one client address may make in a burst
    /// (`--login-failures-per-client`), whatever the accounts; refills like
    /// the account's. Default 20.
    pub login_failures_per_client: u32,
    /// Time over which a spent login allowance comes back in full
    /// (`--login-failure-window-secs`). Default 300 s: after the burst, one
    /// more attempt per account each 60 s, per client each 15 s.
    pub login_failure_window: Duration,
    /// Header that carries the client's address when a proxy sits in front
    /// (`--client-ip-header`, e.g. `x-real-ip`; for `x-forwarded-for` its last
    /// entry, the one the proxy added). `None`: the peer address of the TCP
    /// connection. Only set it behind a proxy that sets the header, or clients
    /// choose their own address.
    pub client_ip_header: Option<String>,
    /// Live sessions one user may hold (`--max-sessions-per-user`); a login
    /// beyond it ends that user's oldest sessions. Default 10.
    pub max_sessions_per_user: u32,
    /// Time a client has to send a request's header, and the most a
    /// keep-alive connection may sit idle (`--header-read-timeout-ms`).
    /// Default 10 000 ms.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's whole body once its header is in
    /// (`--body-read-timeout-ms`); later, 408 and the connection is closed.
    /// Default 10 000 ms.
    pub body_read_timeout: Duration,
    /// Connections served at once (`--max-connections`); further clients wait
    /// in the listen backlog until one closes. Default 1024.
    pub max_connections: usize,
    /// Content-Security-Policy header of the static files (`--csp`; empty:
    /// none). Default [`STATIC_CSP`], or [`STATIC_CSP_FOR_TESTS`] when
    /// `--test-endpoints` is given without `--csp`.
    pub static_csp: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:8080".into(),
            www_dir: "www".into(),
            pkg_dir: "pkg".into(),
            redis_url: None,
            test_endpoints: false,
            access_ttl: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            absolute_lifetime: Duration::from_secs(3600),
            refresh_grace: Duration::from_millis(10_000),
            keepalive_min_interval: Duration::from_millis(1000),
            secret: None,
            argon2_memory_kib: argon2::Params::DEFAULT_M_COST,
            max_concurrent_hashes: std::thread::available_parallelism().map_or(1, |n| n.get()),
            login_failures_per_account: 5,
            login_failures_per_client: 20,
            login_failure_window: Duration::from_secs(300),
            client_ip_header: None,
            max_sessions_per_user: 10,
            header_read_timeout: Duration::from_millis(10_000),
            body_read_timeout: Duration::from_millis(10_000),
            max_connections: 1024,
            static_csp: STATIC_CSP.into(),
        }
    }
}

const USAGE: &str = "usage: ksa-server [--addr HOST:PORT] [--www-dir DIR] [--pkg-dir DIR] \
[--test-endpoints] [--access-ttl-secs N] [--idle-timeout-secs N] [--absolute-lifetime-secs N] \
[--refresh-grace-ms N] [--keepalive-min-interval-ms N] [--max-concurrent-hashes N] \
[--login-failures-per-account N] [--login-failures-per-client N] [--login-failure-window-secs N] \
[--client-ip-header NAME] [--max-sessions-per-user N] [--header-read-timeout-ms N] \
[--body-read-timeout-ms N] [--max-connections N] [--csp POLICY]\n\
env: KSA_ADDR, REDIS_URL, KSA_TEST_ENDPOINTS=1, KSA_SECRET (>= 32 bytes)";

impl Config {
    /// Builds the configuration from environment variables, then flags
    /// (flags win). `args` excludes the program name. `Err` carries a message
    /// naming the bad option and the value received; `--help` yields the usage.
    pub fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(a) = env("KSA_ADDR") {
            c.addr = a;
        }
        c.redis_url = env("REDIS_URL").filter(|u| !u.is_empty());
        c.test_endpoints = env("KSA_TEST_ENDPOINTS").is_some_and(|v| v == "1" || v == "true");
        if let Some(s) = env("KSA_SECRET") {
            if s.len() < 32 {
                return Err(format!("KSA_SECRET must be at least 32 bytes, got {}", s.len()));
            }
            c.secret = Some(s.into_bytes());
        }

        let mut csp_given = false;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(USAGE.into());
            }
            if flag == "--test-endpoints" {
                c.test_endpoints = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            // Everything must be positive except the grace window and the
            // keepalive rate limit, which 0 disables.
            let zero_ok = matches!(flag.as_str(), "--refresh-grace-ms" | "--keepalive-min-interval-ms");
            let int = || -> Result<u64, String> {
                match value.parse::<u64>() {
                    Ok(n) if n > 0 || zero_ok => Ok(n),
                    _ => Err(format!("{flag} expects a positive integer, got {value:?}")),
                }
            };
            let small = || -> Result<u32, String> {
                int()?.try_into().map_err(|_| format!("{flag} expects at most {}, got {value:?}", u32::MAX))
            };
            match flag.as_str() {
                "--addr" => c.addr = value.clone(),
                "--www-dir" => c.www_dir = value.clone().into(),
                "--pkg-dir" => c.pkg_dir = value.clone().into(),
                "--access-ttl-secs" => c.access_ttl = Duration::from_secs(int()?),
                "--idle-timeout-secs" => c.idle_timeout = Duration::from_secs(int()?),
                "--absolute-lifetime-secs" => c.absolute_lifetime = Duration::from_secs(int()?),
                "--refresh-grace-ms" => c.refresh_grace = Duration::from_millis(int()?),
                "--keepalive-min-interval-ms" => c.keepalive_min_interval = Duration::from_millis(int()?),
                "--max-concurrent-hashes" => c.max_concurrent_hashes = small()? as usize,
                "--login-failures-per-account" => c.login_failures_per_account = small()?,
                "--login-failures-per-client" => c.login_failures_per_client = small()?,
                "--login-failure-window-secs" => c.login_failure_window = Duration::from_secs(int()?),
                "--client-ip-header" => match axum::http::HeaderName::try_from(value.as_str()) {
                    Ok(name) => c.client_ip_header = Some(name.as_str().to_string()),
                    Err(_) => return Err(format!("{flag} expects a header name, got {value:?}")),
                },
                "--max-sessions-per-user" => c.max_sessions_per_user = small()?,
                "--header-read-timeout-ms" => c.header_read_timeout = Duration::from_millis(int()?),
                "--body-read-timeout-ms" => c.body_read_timeout = Duration::from_millis(int()?),
                "--max-connections" => c.max_connections = small()? as usize,
                "--csp" => match axum::http::HeaderValue::from_str(&value) {
                    Ok(_) => (c.static_csp, csp_given) = (value.clone(), true),
                    Err(_) => return Err(format!("{flag} expects a header value, got {value:?}")),
                },
                _ => return Err(format!("unknown option {flag:?}\n{USAGE}")),
            }
        }
        if c.test_endpoints && !csp_given {
            c.static_csp = STATIC_CSP_FOR_TESTS.into();
        }
        // Test-only: a debug build hashes the demo passwords at the default
        // cost for seconds; a suite that starts many servers lowers it.
        if c.test_endpoints {
            if let Some(v) = env("KSA_TEST_ARGON2_MEMORY_KIB") {
                match v.parse::<u32>() {
                    Ok(n) if n >= 8 => c.argon2_memory_kib = n,
                    _ => return Err(format!("KSA_TEST_ARGON2_MEMORY_KIB expects a number of KiB >= 8, got {v:?}")),
                }
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_args_and_env(args.iter().map(|s| s.to_string()), |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn flags_override_env_and_defaults() {
        let c = parse(
            &["--addr", "127.0.0.1:9", "--refresh-grace-ms", "250", "--test-endpoints"],
            &[("KSA_ADDR", "127.0.0.1:1"), ("REDIS_URL", "redis://127.0.0.1/")],
        )
        .unwrap();
        assert_eq!(c.addr, "127.0.0.1:9");
        assert_eq!(c.refresh_grace, Duration::from_millis(250));
        assert!(c.test_endpoints);
        assert_eq!(c.redis_url.as_deref(), Some("redis://127.0.0.1/"));
        assert_eq!(c.idle_timeout, Duration::from_secs(120));
    }

    #[test]
    fn bad_values_name_the_option() {
        let e = parse(&["--idle-timeout-secs", "soon"], &[]).unwrap_err();
        assert!(e.contains("--idle-timeout-secs") && e.contains("soon"), "{e}");
        assert!(parse(&["--bogus", "1"], &[]).unwrap_err().contains("--bogus"));
        assert!(parse(&[], &[("KSA_SECRET", "short")]).is_err());
    }

    #[test]
    fn hardening_flags_parse_and_reject_zero() {
        let c = parse(
            &[
                "--max-concurrent-hashes",
                "3",
                "--login-failures-per-account",
                "4",
                "--login-failures-per-client",
                "40",
                "--login-failure-window-secs",
                "60",
                "--client-ip-header",
                "X-Real-IP",
                "--max-sessions-per-user",
                "2",
                "--header-read-timeout-ms",
                "1500",
                "--body-read-timeout-ms",
                "2500",
                "--max-connections",
                "64",
            ],
            &[],
        )
        .unwrap();
        assert_eq!((c.max_concurrent_hashes, c.login_failures_per_account, c.login_failures_per_client), (3, 4, 40));
        assert_eq!(c.login_failure_window, Duration::from_secs(60));
        assert_eq!(c.client_ip_header.as_deref(), Some("x-real-ip"));
        assert_eq!(c.max_sessions_per_user, 2);
        assert_eq!(
            (c.header_read_timeout, c.body_read_timeout),
            (Duration::from_millis(1500), Duration::from_millis(2500))
        );
        assert_eq!(c.max_connections, 64);
        for flag in
            ["--header-read-timeout-ms", "--max-connections", "--max-concurrent-hashes", "--login-failures-per-account"]
        {
            let e = parse(&[flag, "0"], &[]).unwrap_err();
            assert!(e.contains(flag) && e.contains("positive"), "{e}");
        }
        assert!(parse(&["--refresh-grace-ms", "0"], &[]).is_ok());
        assert!(parse(&["--client-ip-header", "bad header"], &[]).unwrap_err().contains("header name"));
        assert!(parse(&["--max-sessions-per-user", "5000000000"], &[]).unwrap_err().contains("at most"));
    }

    #[test]
    fn the_static_csp_allows_eval_only_for_tests_unless_given() {
        assert_eq!(parse(&[], &[]).unwrap().static_csp, STATIC_CSP);
        assert_eq!(parse(&["--test-endpoints"], &[]).unwrap().static_csp, STATIC_CSP_FOR_TESTS);
        assert_eq!(
            parse(&["--test-endpoints", "--csp", "default-src 'none'"], &[]).unwrap().static_csp,
            "default-src 'none'"
        );
        assert_eq!(parse(&["--csp", ""], &[]).unwrap().static_csp, "");
        assert!(parse(&["--csp", "bad\npolicy"], &[]).unwrap_err().contains("--csp"));
        assert_eq!(STATIC_CSP_FOR_TESTS.replace(" 'unsafe-eval'", ""), STATIC_CSP);
    }

    #[test]
    fn argon2_cost_is_lowered_only_with_test_endpoints() {
        let env = [("KSA_TEST_ARGON2_MEMORY_KIB", "64")];
        assert_eq!(parse(&["--test-endpoints"], &env).unwrap().argon2_memory_kib, 64);
        assert_eq!(parse(&[], &env).unwrap().argon2_memory_kib, argon2::Params::DEFAULT_M_COST);
        assert!(parse(&["--test-endpoints"], &[("KSA_TEST_ARGON2_MEMORY_KIB", "4")]).is_err());
    }
}
