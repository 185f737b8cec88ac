//! The options of `new SessionKeeper(options)`: one table of their names,
//! types, defaults and docs, and the checks of their types. The engine checks
//! what the values mean together (`Config::timing`).

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::Config;
use crate::web::{headers_from, KeeperOptions, RequestHeaders};

/// One row per option: its JS name, TypeScript type, default and doc, and
/// where its value goes. The parser's list of names, the `.d.ts` interface
/// (`options_type!`, emitted first by `api/mod.rs`) and so the README's
/// options table come from here: `tests/pkg/link-check.mjs` checks the
/// README's names and defaults against the `.d.ts`, and the names against
/// the unknown-option error, which lists this table's. The engine's own
/// defaults and bounds (`core/config.rs`) are the ones these docs state:
/// `Config::timing` applies and checks them.
macro_rules! option_table {
    ($($name:literal: $ts:literal = $default:literal, $slot:expr, $doc:literal;)*) => {
        /// Every option, by its JS name: each kind of value is checked in one place.
        const OPTIONS: &[(&str, Slot)] = &[$(($name, $slot)),*];

        /// The TypeScript declaration of the options, as a literal for `concat!`.
        macro_rules! options_type {
            () => {
                concat!(
                    "\n/** Options for `new SessionKeeper(options)`. Durations are milliseconds. */\n",
                    "export interface SessionKeeperOptions {\n",
                    $("  /** ", $doc, " Default: ", $default, ". */\n  ", $name, "?: ", $ts, ";\n",)*
                    "}\n"
                )
            };
        }
        pub(super) use options_type;
    };
}

option_table! {
    "keepaliveUrl": "string" = "none (no heartbeat)", Slot::Url(|p| &mut p.config.keepalive_url),
        "Endpoint POSTed to keep a cookie/server session alive. Requires `sessionTimeoutMs`.";
    "refreshUrl": "string" = "none (no token)", Slot::Url(|p| &mut p.config.refresh_url),
        "Endpoint that trades the HttpOnly refresh cookie for `{accessToken, expiresIn}`.";
    "logoutUrl": "string" = "none", Slot::Url(|p| &mut p.config.logout_url),
        "Endpoint POSTed on logout so the server revokes the session.";
    "loginUrl": "string" = "none", Slot::Url(|p| &mut p.config.login_url),
        "Endpoint `login(body)` POSTs JSON to.";
    "refresh": "() => Promise<{ accessToken: string; expiresIn: number } | null | 'elsewhere'>" = "none", Slot::Callback(|p| &mut p.refresh),
        "Instead of `refreshUrl`: your own token source (an OpenID Connect client library). Resolve `{ accessToken, expiresIn }` (seconds) for a new token, `null` when the session is over, or `'elsewhere'` when this tab's token source holds no credentials (another tab refreshes; the session ends only if none can); reject for a transient failure (retried with backoff). Called in one tab at a time, only while the user is present; its token is shared with every tab.";
    "keepalive": "() => Promise<boolean | void>" = "none", Slot::Callback(|p| &mut p.keepalive),
        "Instead of `keepaliveUrl`: touch the server session yourself. Resolve `true` or nothing when it was touched, `false` when it is over; reject for a transient failure. Requires `sessionTimeoutMs`.";
    "logout": "() => Promise<void>" = "none", Slot::Callback(|p| &mut p.logout),
        "Instead of `logoutUrl`: end the session at its source (revoke the refresh token). Called in the tab that logs out; its outcome is ignored.";
    "sessionTimeoutMs": "number" = "none; required with `keepaliveUrl` or `keepalive`", Slot::Millis(|p| &mut p.config.session_timeout_ms),
        "The server's sliding session timeout.";
    "minHeartbeatIntervalMs": "number" = "`min(sessionTimeoutMs / 4, 60000)`", Slot::Millis(|p| &mut p.config.min_heartbeat_interval_ms),
        "Least time between heartbeats; at most 3/4 of `sessionTimeoutMs`.";
    "idleTimeoutMs": "number" = "15 min, or `sessionTimeoutMs` if shorter", Slot::Millis(|p| &mut p.config.idle_timeout_ms),
        "Inactivity across all tabs before the user counts as gone; may exceed `sessionTimeoutMs` (heartbeats go on while the user is present).";
    "warningMs": "number" = "`min(60000, idleTimeoutMs / 2, absoluteTimeoutMs / 2)`", Slot::Millis(|p| &mut p.config.warning_ms),
        "Warning before an idle or absolute logout; 0 turns it off.";
    "absoluteTimeoutMs": "number" = "none", Slot::Millis(|p| &mut p.config.absolute_timeout_ms),
        "The session ends this long after login whatever the activity.";
    "refreshLeadMs": "number" = "60000, capped at half the token's lifetime", Slot::MillisOr(|p| &mut p.config.refresh_lead_ms),
        "Refresh this long before the token expires; at most 3600000.";
    "requestTimeoutMs": "number" = "10000", Slot::MillisOr(|p| &mut p.config.request_timeout_ms),
        "Abort the SDK's own requests (and give up on its callbacks) after this long.";
    "siblingWaitMs": "number" = "300", Slot::MillisOr(|p| &mut p.config.sibling_wait_ms),
        "A new tab asks sibling tabs for the session this long before refreshing; at most 10000.";
    "tokenUrls": "string[]" = "`[]`: the page's own origin only", Slot::Urls(|p| &mut p.token_urls),
        "Where `fetch()` may send the access token besides the page's own origin: origins (`'https://api.example.com'`) or URL prefixes (`'https://example.com/api/'`), with a lower-case host as the browser writes it. A request to any other URL goes out untouched: no `Authorization` header, no refresh on its 401, not counted as server activity.";
    "activityEvents": "string[]" = "`['pointerdown', 'pointermove', 'keydown', 'wheel', 'scroll', 'touchstart', 'focus']`", Slot::Events(|p| &mut p.activity_events),
        "Events that count as activity.";
    "headers": "Record<string, string> | (() => Record<string, string>)" = "`{'X-Requested-With': 'XMLHttpRequest'}`", Slot::Headers(|p| &mut p.headers),
        "Headers on the SDK's own requests (login, keepalive, refresh, logout); they replace the default, so keep `X-Requested-With` if your server checks it. A function is called for each request: read a CSRF token there, e.g. `() => ({ 'X-CSRFToken': getCookie('csrftoken') })`. If it throws or returns anything else, that request is not sent: an `error` event (kind `rejected`) and a retry.";
    "channelName": "string" = "`'keep-session-alive'`", Slot::Text(|p| &mut p.config.channel_name),
        "BroadcastChannel and lock name prefix.";
    "logoutOnIdle": "boolean" = "`true`", Slot::Flag(|p| &mut p.config.logout_on_idle),
        "Log out at the idle timeout; when false only an `idle` event fires.";
}

/// What `activityEvents` means when left out.
const DEFAULT_ACTIVITY_EVENTS: [&str; 7] =
    ["pointerdown", "pointermove", "keydown", "wheel", "scroll", "touchstart", "focus"];

/// Where an option's value goes, and so how it is checked.
enum Slot {
    Url(fn(&mut KeeperOptions) -> &mut Option<String>),
    Text(fn(&mut KeeperOptions) -> &mut String),
    Millis(fn(&mut KeeperOptions) -> &mut Option<u64>),
    MillisOr(fn(&mut KeeperOptions) -> &mut u64),
    Flag(fn(&mut KeeperOptions) -> &mut bool),
    Events(fn(&mut KeeperOptions) -> &mut Vec<String>),
    Urls(fn(&mut KeeperOptions) -> &mut Vec<String>),
    Headers(fn(&mut KeeperOptions) -> &mut RequestHeaders),
    Callback(fn(&mut KeeperOptions) -> &mut Option<Function>),
}

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

/// An array of absolute http(s) URLs or origins, kept as written: they are
/// compared with a `Request`'s URL as prefixes, which the browser writes with
/// a lower-case host, so one written otherwise matches nothing (the token
/// then goes nowhere new, the safe side).
fn absolute_urls(k: &str, v: &JsValue) -> Result<Vec<String>, JsError> {
    let problem = "must be an array of http(s) origins or URL prefixes";
    if !Array::is_array(v) {
        return Err(err(k, problem));
    }
    let mut urls = Vec::new();
    for url in v.unchecked_ref::<Array>().iter() {
        match url.as_string() {
            Some(u) if u.len() > 8 && (u.starts_with("https://") || u.starts_with("http://")) => urls.push(u),
            _ => return Err(err(k, problem)),
        }
    }
    Ok(urls)
}

/// The app's extra headers: an object, checked by the browser now, or a
/// function, called for each request (its result is checked then).
fn request_headers(k: &str, v: &JsValue) -> Result<RequestHeaders, JsError> {
    if let Some(f) = v.dyn_ref::<Function>() {
        return Ok(RequestHeaders::Computed(f.clone()));
    }
    headers_from(v).map(RequestHeaders::Fixed).map_err(|refused| {
        let mut m = String::from("must be an object of header names to string values, or a function returning one");
        if let Some(said) = refused.as_string() {
            m.push_str("; the browser refuses one: ");
            m.push_str(&said);
        }
        err(k, &m)
    })
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
pub(super) fn parse(options: &JsValue) -> Result<KeeperOptions, JsError> {
    if !options.is_object() {
        return Err(JsError::new("keep-session-alive: `new SessionKeeper(options)` needs an options object"));
    }
    let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    // Replaced, not merged, by the `headers` option.
    let headers =
        RequestHeaders::standard().ok_or_else(|| JsError::new("keep-session-alive: this browser has no Headers"))?;
    let mut p = KeeperOptions {
        config: Config { seed, ..Config::default() },
        activity_events: DEFAULT_ACTIVITY_EVENTS.map(String::from).to_vec(),
        headers,
        token_urls: Vec::new(),
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
            Slot::Urls(at) => *at(&mut p) = absolute_urls(k, &v)?,
            Slot::Headers(at) => *at(&mut p) = request_headers(k, &v)?,
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
