//! Session options, their defaults, and the checks that reject inconsistent ones.
//!
//! Validation lives here, not in the facade, so every rule is tested natively and
//! the browser build only adds the conversion from a JS object.

use alloc::string::String;

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;

/// Everything the engine needs to know about the app's session policy.
///
/// Durations are milliseconds. Built with [`Config::default`] and then filled in
/// from the app's options; [`Config::validate`] must pass before use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Endpoint pinged to slide a cookie/server session. Default: none (no heartbeat).
    pub keepalive_url: Option<String>,
    /// Endpoint that trades the refresh cookie for a new access token. Default: none
    /// (a cookie-only session).
    pub refresh_url: Option<String>,
    /// Endpoint told about a logout so the server revokes the session. Default: none.
    pub logout_url: Option<String>,
    /// Endpoint `login()` posts credentials to. Default: none.
    pub login_url: Option<String>,
    /// The app gives a `keepalive` callback instead of `keepalive_url` (the
    /// driver calls it; the engine does not see the difference).
    pub keepalive_callback: bool,
    /// The app gives a `refresh` callback (its own token source, an OpenID
    /// Connect client library) instead of `refresh_url`.
    pub refresh_callback: bool,
    /// The app gives a `logout` callback instead of `logout_url`.
    pub logout_callback: bool,
    /// The server's sliding session timeout. Required with `keepalive_url`.
    pub session_timeout_ms: Option<u64>,
    /// The least time between two heartbeats. Default: a quarter of the session
    /// timeout, at most one minute.
    pub min_heartbeat_interval_ms: Option<u64>,
    /// Inactivity, across all tabs, after which the user counts as gone. It may
    /// exceed the session timeout: while the user is present the heartbeat keeps
    /// the server session from lapsing. Default: 15 minutes, or the session
    /// timeout if that is shorter.
    pub idle_timeout_ms: Option<u64>,
    /// How long before an idle or absolute logout the warning comes; 0 turns it
    /// off. Default: 60 seconds, at most half the idle and half the absolute timeout.
    pub warning_ms: Option<u64>,
    /// The session ends this long after login, whatever the activity. Default: none.
    pub absolute_timeout_ms: Option<u64>,
    /// How long before expiry the access token is refreshed; capped at half the
    /// token's lifetime. Default: 60 seconds.
    pub refresh_lead_ms: u64,
    /// Log out when the idle timeout is reached; when false only an `idle` event
    /// is emitted and the session resumes on activity. Default: true.
    pub logout_on_idle: bool,
    /// Abort a request after this long; counts as a transient failure. Default: 10 s.
    pub request_timeout_ms: u64,
    /// How long a new tab waits for a sibling's token before refreshing. Default: 300 ms.
    pub sibling_wait_ms: u64,
    /// BroadcastChannel and lock name prefix. Default: `keep-session-alive`.
    pub channel_name: String,
    /// Seed for retry jitter (the driver passes a random value).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            keepalive_url: None,
            refresh_url: None,
            logout_url: None,
            login_url: None,
            keepalive_callback: false,
            refresh_callback: false,
            logout_callback: false,
            session_timeout_ms: None,
            min_heartbeat_interval_ms: None,
            idle_timeout_ms: None,
            warning_ms: None,
            absolute_timeout_ms: None,
            refresh_lead_ms: MINUTE,
            logout_on_idle: true,
            request_timeout_ms: 10 * SECOND,
            sibling_wait_ms: 300,
            channel_name: String::from("keep-session-alive"),
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// An option that is missing, malformed or inconsistent with another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The option's JavaScript name.
    pub option: &'static str,
    /// What is wrong and what is allowed.
    pub problem: &'static str,
    /// The value received, when it is a number.
    pub got: Option<u64>,
}

impl ConfigError {
    /// A full sentence for the JS exception.
    pub fn message(&self) -> String {
        let mut s = String::from("keep-session-alive: option `");
        s.push_str(self.option);
        s.push_str("` ");
        s.push_str(self.problem);
        if let Some(got) = self.got {
            s.push_str(" (got ");
            super::digits::push_u64(&mut s, got);
            s.push(')');
        }
        s
    }
}

fn fail<T>(option: &'static str, problem: &'static str, got: Option<u64>) -> Result<T, ConfigError> {
    Err(ConfigError { option, problem, got })
}

/// The option values the engine runs on, defaults resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timing {
    pub heartbeat: Option<HeartbeatTiming>,
    pub refresh: bool,
    pub idle_ms: u64,
    pub warning_ms: u64,
    pub absolute_ms: Option<u64>,
    pub refresh_lead_ms: u64,
    pub logout_on_idle: bool,
    pub sibling_wait_ms: u64,
    pub logout_call: bool,
    pub request_timeout_ms: u64,
}

impl Timing {
    /// How long the refresh lock may stay with another tab: its refresh ends
    /// within the request timeout, so a lock held for twice that and more is
    /// held by a hung tab (or kept by a browser bug), and is taken over.
    pub fn lock_patience_ms(&self) -> u64 {
        2 * self.request_timeout_ms + 5_000
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeartbeatTiming {
    pub session_ms: u64,
    pub min_interval_ms: u64,
    /// Ping this long before the server's sliding timeout would lapse, to absorb
    /// latency and background-tab timer throttling (Chrome: up to one minute).
    pub margin_ms: u64,
}

fn check_url(option: &'static str, url: &Option<String>) -> Result<bool, ConfigError> {
    match url {
        None => Ok(false),
        Some(u) if u.trim_ascii().is_empty() => fail(option, "must be a non-empty URL, or left out", None),
        // The characters `char::is_whitespace` and `is_control` name, matched
        // on their UTF-8 bytes: decoding chars and Unicode's tables cost bytes.
        Some(u) if unclean(u.as_bytes()) => fail(option, "must be a URL without spaces or control characters", None),
        Some(_) => Ok(true),
    }
}

/// Whether `b` has a space or a control character: ASCII ones, and beyond
/// ASCII U+0080-U+00A0 (C1 controls, NEL, no-break space), U+1680,
/// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
fn unclean(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, &c)| {
        c <= b' '
            || c == 0x7f
            || matches!(
                (c, b.get(i + 1), b.get(i + 2)),
                (0xc2, Some(0x80..=0xa0), _)
                    | (0xe1, Some(0x9a), Some(0x80))
                    | (0xe2, Some(0x80), Some(0x80..=0x8a | 0xa8 | 0xa9 | 0xaf))
                    | (0xe2, Some(0x81), Some(0x9f))
                    | (0xe3, Some(0x80), Some(0x80))
            )
    })
}

/// An endpoint given as a URL or as the app's callback: whether there is one.
fn endpoint(
    url_option: &'static str,
    url: &Option<String>,
    callback: bool,
    both: ConfigError,
) -> Result<bool, ConfigError> {
    let url = check_url(url_option, url)?;
    if url && callback {
        return Err(both);
    }
    Ok(url || callback)
}

fn alternatives(option: &'static str, problem: &'static str) -> ConfigError {
    ConfigError { option, problem, got: None }
}

fn positive(option: &'static str, v: u64) -> Result<u64, ConfigError> {
    if v == 0 {
        fail(option, "must be a positive number of milliseconds", Some(v))
    } else {
        Ok(v)
    }
}

impl Config {
    /// Checks every option and their consistency; the error names the option,
    /// says what is allowed and shows the value received.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.timing().map(|_| ())
    }

    pub(crate) fn timing(&self) -> Result<Timing, ConfigError> {
        let keepalive = endpoint(
            "keepaliveUrl",
            &self.keepalive_url,
            self.keepalive_callback,
            alternatives("keepalive", "replaces keepaliveUrl: give one of the two, not both"),
        )?;
        let refresh = endpoint(
            "refreshUrl",
            &self.refresh_url,
            self.refresh_callback,
            alternatives("refresh", "replaces refreshUrl: give one of the two, not both"),
        )?;
        let logout_call = endpoint(
            "logoutUrl",
            &self.logout_url,
            self.logout_callback,
            alternatives("logout", "replaces logoutUrl: give one of the two, not both"),
        )?;
        check_url("loginUrl", &self.login_url)?;
        if self.channel_name.trim_ascii().is_empty() {
            return fail("channelName", "must be a non-empty string", None);
        }
        if self.channel_name.starts_with('-') {
            return fail("channelName", "must not start with '-' (Web Locks refuses such lock names)", None);
        }
        positive("requestTimeoutMs", self.request_timeout_ms)?;
        positive("refreshLeadMs", self.refresh_lead_ms)?;
        if self.refresh_lead_ms > 60 * MINUTE {
            return fail(
                "refreshLeadMs",
                "must be at most one hour (3600000): it should be well below the access token's lifetime",
                Some(self.refresh_lead_ms),
            );
        }
        if self.sibling_wait_ms > 10 * SECOND {
            return fail("siblingWaitMs", "must be at most 10000", Some(self.sibling_wait_ms));
        }

        let session_ms = match self.session_timeout_ms {
            Some(v) => Some(positive("sessionTimeoutMs", v)?),
            None => None,
        };
        let heartbeat = match (keepalive, session_ms) {
            (false, _) => None,
            (true, None) => {
                return fail(
                    "sessionTimeoutMs",
                    "is required with keepaliveUrl or keepalive: set it to the server's sliding session timeout",
                    None,
                )
            }
            (true, Some(s)) => {
                let min_interval_ms = match self.min_heartbeat_interval_ms {
                    Some(v) => positive("minHeartbeatIntervalMs", v)?,
                    None => (s / 4).clamp(1, MINUTE),
                };
                if min_interval_ms > s - s / 4 {
                    return fail(
                        "minHeartbeatIntervalMs",
                        "must be at most three quarters of sessionTimeoutMs, or the server session could lapse between pings",
                        Some(min_interval_ms),
                    );
                }
                Some(HeartbeatTiming { session_ms: s, min_interval_ms, margin_ms: (s / 4).min(90 * SECOND) })
            }
        };

        let idle_ms = match self.idle_timeout_ms {
            Some(v) => positive("idleTimeoutMs", v)?,
            None => session_ms.map_or(15 * MINUTE, |s| s.min(15 * MINUTE)),
        };
        let absolute_ms = match self.absolute_timeout_ms {
            Some(v) => Some(positive("absoluteTimeoutMs", v)?),
            None => None,
        };
        let warning_ms = match self.warning_ms {
            Some(v) => v,
            None => MINUTE.min(idle_ms / 2).min(absolute_ms.map_or(u64::MAX, |a| a / 2)),
        };
        if warning_ms >= idle_ms {
            return fail("warningMs", "must be smaller than idleTimeoutMs (0 turns the warning off)", Some(warning_ms));
        }
        if let Some(a) = absolute_ms {
            if warning_ms >= a {
                return fail("warningMs", "must be smaller than absoluteTimeoutMs", Some(warning_ms));
            }
        }
        Ok(Timing {
            heartbeat,
            refresh,
            idle_ms,
            warning_ms,
            absolute_ms,
            refresh_lead_ms: self.refresh_lead_ms,
            logout_on_idle: self.logout_on_idle,
            sibling_wait_ms: self.sibling_wait_ms,
            logout_call,
            request_timeout_ms: self.request_timeout_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    /// The byte-level check names exactly the characters the `char`
    /// predicates do, for every Unicode scalar value, alone and mid-URL.
    #[test]
    fn unclean_matches_whitespace_and_control_for_every_char() {
        for c in (0..=0x10_ffff_u32).filter_map(char::from_u32) {
            let want = c.is_whitespace() || c.is_control() || c == ' ';
            let mut url = String::from("/a");
            url.push(c);
            url.push('b');
            assert_eq!(super::unclean(url.as_bytes()), want, "U+{:04X}", u32::from(c));
        }
    }
}
