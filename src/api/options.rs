//! The options of `new SessionKeeper(options)`: their TypeScript declaration,
//! their names and kinds, the defaults the driver applies, and the checks of
//! their types. The engine checks what the values mean together
//! (`Config::validate`).

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Headers;

use crate::core::Config;

/// The TypeScript declaration of the options, as a literal for `concat!`:
/// `api/mod.rs` emits it first in the `.d.ts`, in one section with the rest.
macro_rules! options_type {
    () => {
        r#"
/** Options for `new SessionKeeper(options)`. Durations are milliseconds. */
export interface SessionKeeperOptions {
  /** Endpoint POSTed to keep a cookie/server session alive. Requires `sessionTimeoutMs`. */
  keepaliveUrl?: string;
  /** Endpoint that trades the HttpOnly refresh cookie for `{accessToken, expiresIn}`. */
  refreshUrl?: string;
  /** Endpoint POSTed on logout so the server revokes the session. */
  logoutUrl?: string;
  /** Endpoint `login(body)` POSTs JSON to. */
  loginUrl?: string;
  /**
   * Instead of `refreshUrl`: your own token source (an OpenID Connect client library). Resolve
   * `{ accessToken, expiresIn }` (seconds) for a new token, or `null` when the session is over;
   * reject for a transient failure (retried with backoff). Called in one tab at a time, only while
   * the user is present; its token is shared with every tab.
   */
  refresh?: () => Promise<{ accessToken: string; expiresIn: number } | null>;
  /** Instead of `keepaliveUrl`: touch the server session yourself. Resolve `true` or nothing when it was touched, `false` when it is over; reject for a transient failure. Requires `sessionTimeoutMs`. */
  keepalive?: () => Promise<boolean | void>;
  /** Instead of `logoutUrl`: end the session at its source (revoke the refresh token). Called in the tab that logs out; its outcome is ignored. */
  logout?: () => Promise<void>;
  /** The server's sliding session timeout. Required with `keepaliveUrl`. */
  sessionTimeoutMs?: number;
  /** Least time between heartbeats. Default: min(sessionTimeoutMs / 4, 60000). */
  minHeartbeatIntervalMs?: number;
  /** Inactivity across all tabs before the user counts as gone; may exceed sessionTimeoutMs (heartbeats go on while the user is present). Default: 15 min, or sessionTimeoutMs if shorter. */
  idleTimeoutMs?: number;
  /** Warning before an idle or absolute logout; 0 turns it off. Default: min(60000, idleTimeoutMs / 2, absoluteTimeoutMs / 2). */
  warningMs?: number;
  /** Session ends this long after login whatever the activity. Default: none. */
  absoluteTimeoutMs?: number;
  /** Refresh this long before the token expires (at most half its lifetime). Default: 60000. */
  refreshLeadMs?: number;
  /** Abort the SDK's own requests after this long. Default: 10000. */
  requestTimeoutMs?: number;
  /** A new tab asks sibling tabs for the token this long before refreshing. Default: 300. */
  siblingWaitMs?: number;
  /** Events that count as activity. Default: pointerdown, pointermove, keydown, wheel, scroll, touchstart, focus. */
  activityEvents?: string[];
  /** Headers on the SDK's own requests; they replace the default { "X-Requested-With": "XMLHttpRequest" }, so keep it if your server checks it. */
  headers?: Record<string, string>;
  /** BroadcastChannel and lock name prefix. Default: "keep-session-alive". */
  channelName?: string;
  /** Log out at the idle timeout; when false only an `idle` event fires. Default: true. */
  logoutOnIdle?: boolean;
}
"#
    };
}
pub(super) use options_type;

/// The options as given: the engine's part, still to be validated, and the
/// driver's extras with their defaults.
pub(super) struct Parsed {
    pub config: Config,
    pub activity_events: Vec<String>,
    pub headers: Headers,
    pub keepalive: Option<Function>,
    pub refresh: Option<Function>,
    pub logout: Option<Function>,
}

/// What `activityEvents` means when left out.
const DEFAULT_ACTIVITY_EVENTS: [&str; 7] =
    ["pointerdown", "pointermove", "keydown", "wheel", "scroll", "touchstart", "focus"];

/// Where an option's value goes, and so how it is checked.
enum Slot {
    Url(fn(&mut Parsed) -> &mut Option<String>),
    Text(fn(&mut Parsed) -> &mut String),
    Millis(fn(&mut Parsed) -> &mut Option<u64>),
    MillisOr(fn(&mut Parsed) -> &mut u64),
    Flag(fn(&mut Parsed) -> &mut bool),
    Events(fn(&mut Parsed) -> &mut Vec<String>),
    Headers(fn(&mut Parsed) -> &mut Headers),
    Callback(fn(&mut Parsed) -> &mut Option<Function>),
}

/// Every option, by its JS name: each name is written once here, and each
/// kind of value is checked in one place. The TypeScript interface above
/// lists the same names: `tests/pkg/options.mjs` compares the two, through
/// the unknown-option error, which lists these.
const OPTIONS: [(&str, Slot); 19] = [
    ("keepaliveUrl", Slot::Url(|p| &mut p.config.keepalive_url)),
    ("refreshUrl", Slot::Url(|p| &mut p.config.refresh_url)),
    ("logoutUrl", Slot::Url(|p| &mut p.config.logout_url)),
    ("loginUrl", Slot::Url(|p| &mut p.config.login_url)),
    ("refresh", Slot::Callback(|p| &mut p.refresh)),
    ("keepalive", Slot::Callback(|p| &mut p.keepalive)),
    ("logout", Slot::Callback(|p| &mut p.logout)),
    ("sessionTimeoutMs", Slot::Millis(|p| &mut p.config.session_timeout_ms)),
    ("minHeartbeatIntervalMs", Slot::Millis(|p| &mut p.config.min_heartbeat_interval_ms)),
    ("idleTimeoutMs", Slot::Millis(|p| &mut p.config.idle_timeout_ms)),
    ("warningMs", Slot::Millis(|p| &mut p.config.warning_ms)),
    ("absoluteTimeoutMs", Slot::Millis(|p| &mut p.config.absolute_timeout_ms)),
    ("refreshLeadMs", Slot::MillisOr(|p| &mut p.config.refresh_lead_ms)),
    ("requestTimeoutMs", Slot::MillisOr(|p| &mut p.config.request_timeout_ms)),
    ("siblingWaitMs", Slot::MillisOr(|p| &mut p.config.sibling_wait_ms)),
    ("activityEvents", Slot::Events(|p| &mut p.activity_events)),
    ("headers", Slot::Headers(|p| &mut p.headers)),
    ("channelName", Slot::Text(|p| &mut p.config.channel_name)),
    ("logoutOnIdle", Slot::Flag(|p| &mut p.config.logout_on_idle)),
];

fn err(option: &str, problem: &str) -> JsError {
    let mut s = String::from("keep-session-alive: option `");
    s.push_str(option);
    s.push_str("` ");
    s.push_str(problem);
    JsError::new(&s)
}

fn string(k: &str, v: &JsValue) -> Result<String, JsError> {
    v.as_string().ok_or_else(|| err(k, "must be a string"))
}

fn millis(k: &str, v: &JsValue) -> Result<u64, JsError> {
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as u64),
        _ => Err(err(k, "must be a whole, non-negative number of milliseconds")),
    }
}

fn event_names(k: &str, v: &JsValue) -> Result<Vec<String>, JsError> {
    let problem = "must be an array of non-empty event names";
    if !Array::is_array(v) {
        return Err(err(k, problem));
    }
    let mut names = Vec::new();
    for name in v.unchecked_ref::<Array>().iter() {
        match name.as_string() {
            Some(name) if !name.is_empty() => names.push(name),
            _ => return Err(err(k, problem)),
        }
    }
    if names.is_empty() {
        return Err(err(k, problem));
    }
    Ok(names)
}

/// The app's extra headers, built once and checked by the browser now, not
/// dropped silently on every request later (a missing CSRF header would read
/// as a revoked session).
fn header_pairs(k: &str, v: &JsValue) -> Result<Headers, JsError> {
    let problem = "must be an object of header names to string values";
    if !v.is_object() || Array::is_array(v) {
        return Err(err(k, problem));
    }
    let out = Headers::new().map_err(|_| err(k, problem))?;
    for name in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let value = Reflect::get(v, &name).ok().and_then(|x| x.as_string());
        match (name.as_string(), value) {
            (Some(name), Some(value)) if out.set(&name, &value).is_ok() => {}
            (Some(name), Some(_)) => {
                let mut m = String::from("has a header name or value the browser refuses: ");
                m.push_str(&name);
                return Err(err(k, &m));
            }
            _ => return Err(err(k, problem)),
        }
    }
    Ok(out)
}

/// Reads the options object's own keys; an unknown name is an error, not
/// silently ignored (a misspelt `idleTimeoutMS` would otherwise do nothing).
/// A known option set to `undefined` counts as left out.
///
/// Read with `Reflect`, not `serde_wasm_bindgen::from_value`, on purpose.
/// Measured on this code base: the Deserialize side costs +22 KB gzip (its
/// error type formats messages, which links `core::fmt` and float printing),
/// and its deserializer never fires `deny_unknown_fields`, so a misspelt
/// option would be accepted silently. The same holds for server replies and
/// `setSession()`.
pub(super) fn parse(options: &JsValue) -> Result<Parsed, JsError> {
    if !options.is_object() {
        return Err(JsError::new("keep-session-alive: `new SessionKeeper(options)` needs an options object"));
    }
    let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    let no_headers = || JsError::new("keep-session-alive: this browser has no Headers");
    let headers = Headers::new().map_err(|_| no_headers())?;
    // Replaced, not merged, by the `headers` option.
    let _ = headers.set("X-Requested-With", "XMLHttpRequest");
    let mut p = Parsed {
        config: Config { seed, ..Config::default() },
        activity_events: DEFAULT_ACTIVITY_EVENTS.map(String::from).to_vec(),
        headers,
        keepalive: None,
        refresh: None,
        logout: None,
    };
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let k = key.as_string().unwrap_or_default();
        let Some((k, slot)) = OPTIONS.iter().find(|(name, _)| *name == k) else {
            let mut problem = String::from("is not a known option; the options are: ");
            for (i, (name, _)) in OPTIONS.iter().enumerate() {
                problem.push_str(if i == 0 { "" } else { ", " });
                problem.push_str(name);
            }
            return Err(err(&k, &problem));
        };
        let v = Reflect::get(options, &key).unwrap_or_default();
        if v.is_undefined() {
            continue;
        }
        match slot {
            Slot::Url(at) => *at(&mut p) = Some(string(k, &v)?),
            Slot::Text(at) => *at(&mut p) = string(k, &v)?,
            Slot::Millis(at) => *at(&mut p) = Some(millis(k, &v)?),
            Slot::MillisOr(at) => *at(&mut p) = millis(k, &v)?,
            Slot::Flag(at) => *at(&mut p) = v.as_bool().ok_or_else(|| err(k, "must be true or false"))?,
            Slot::Events(at) => *at(&mut p) = event_names(k, &v)?,
            Slot::Headers(at) => *at(&mut p) = header_pairs(k, &v)?,
            Slot::Callback(at) => *at(&mut p) = Some(v.dyn_into().map_err(|_| err(k, "must be a function"))?),
        }
    }
    // The engine sees only that there is an endpoint, and checks that a URL
    // and its callback are not both given.
    p.config.keepalive_callback = p.keepalive.is_some();
    p.config.refresh_callback = p.refresh.is_some();
    p.config.logout_callback = p.logout.is_some();
    Ok(p)
}
