//! Server configuration: defaults, command-line flags and environment variables.
//!
//! Durations are kept as [`Duration`] so tests can use sub-second timeouts even
//! though the command line speaks in whole seconds or milliseconds.

use std::path::PathBuf;
use std::time::Duration;

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
        }
    }
}

const USAGE: &str = "usage: ksa-server [--addr HOST:PORT] [--www-dir DIR] [--pkg-dir DIR] \
[--test-endpoints] [--access-ttl-secs N] [--idle-timeout-secs N] [--absolute-lifetime-secs N] \
[--refresh-grace-ms N] [--keepalive-min-interval-ms N]\n\
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
            // Timeouts must be positive; the grace window and rate limit may
            // be 0 (disabled).
            let num = |unit: fn(u64) -> Duration| -> Result<Duration, String> {
                let zero_ok = flag.ends_with("-ms");
                match value.parse::<u64>() {
                    Ok(n) if n > 0 || zero_ok => Ok(unit(n)),
                    _ => Err(format!("{flag} expects a positive integer, got {value:?}")),
                }
            };
            match flag.as_str() {
                "--addr" => c.addr = value.clone(),
                "--www-dir" => c.www_dir = value.clone().into(),
                "--pkg-dir" => c.pkg_dir = value.clone().into(),
                "--access-ttl-secs" => c.access_ttl = num(Duration::from_secs)?,
                "--idle-timeout-secs" => c.idle_timeout = num(Duration::from_secs)?,
                "--absolute-lifetime-secs" => c.absolute_lifetime = num(Duration::from_secs)?,
                "--refresh-grace-ms" => c.refresh_grace = num(Duration::from_millis)?,
                "--keepalive-min-interval-ms" => c.keepalive_min_interval = num(Duration::from_millis)?,
                _ => return Err(format!("unknown option {flag:?}\n{USAGE}")),
            }
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
    fn argon2_cost_is_lowered_only_with_test_endpoints() {
        let env = [("KSA_TEST_ARGON2_MEMORY_KIB", "64")];
        assert_eq!(parse(&["--test-endpoints"], &env).unwrap().argon2_memory_kib, 64);
        assert_eq!(parse(&[], &env).unwrap().argon2_memory_kib, argon2::Params::DEFAULT_M_COST);
        assert!(parse(&["--test-endpoints"], &[("KSA_TEST_ARGON2_MEMORY_KIB", "4")]).is_err());
    }
}
