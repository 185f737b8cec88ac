//! The tab-to-tab protocol: what one tab's engine tells the others.
//!
//! Messages travel as short strings so that the codec is pure Rust, tested and
//! fuzzed natively, and the driver only carries text over BroadcastChannel.
//! Form: `ksa1 <from-tab> <kind> <fields…>`, fields separated by one space. The
//! access token, when present, is always the last field, so it may hold any
//! character. Anything that does not decode is ignored and counted by the engine.

use alloc::string::String;

use super::digits::{number, push_u64};
use super::time::Time;

const VERSION: &str = "ksa1";

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The app called `logout()`.
    User,
    /// No activity in any tab for the idle timeout.
    Idle,
    /// The absolute session lifetime ran out.
    Absolute,
    /// The server rejected the session (401/403 on refresh or heartbeat).
    Revoked,
}

impl Reason {
    /// Its name, for other tabs and the app.
    pub fn name(self) -> &'static str {
        match self {
            Reason::User => "user",
            Reason::Idle => "idle",
            Reason::Absolute => "absolute",
            Reason::Revoked => "revoked",
        }
    }

    /// The reason of that [`Reason::name`].
    pub fn from_name(name: &str) -> Option<Reason> {
        [Reason::User, Reason::Idle, Reason::Absolute, Reason::Revoked].into_iter().find(|r| r.name() == name)
    }
}

/// Which lock a claim is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockName {
    /// The leader tab: it pings the server.
    Leader,
    /// The refresh: one tab at a time asks for a new token.
    Refresh,
}

/// An access token as shared between tabs: its value and absolute expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedToken {
    /// Absolute expiry on the shared wall clock.
    pub expires_at: Time,
    /// The bearer token itself.
    pub value: String,
}

/// One message between tabs. `started_at` is when the session began (for the
/// absolute timeout); `token` is absent for a cookie-only session.
#[allow(missing_docs)] // the fields are described above and in the variants
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A login happened in the sending tab.
    Login { started_at: Time, token: Option<SharedToken> },
    /// The sending tab logged out; the others follow, unless their session
    /// started after `at`, when it ended by the sender's account (a timeout's
    /// deadline, else when it was sent): a tab that wakes from a freeze and
    /// times out a session the user has since left and signed in to again
    /// must not end the new one. `None` from a sender that does not say.
    Logout { reason: Reason, at: Option<Time> },
    /// The sending tab obtained a new access token.
    Token { started_at: Time, token: SharedToken },
    /// The user was active at `at` in the sending tab; the server was last touched at `touched`.
    Activity { at: Time, touched: Time },
    /// The user chose "stay signed in" in the sending tab at `at`.
    StaySignedIn { at: Time },
    /// The sending tab holds `count` holds (0: none any more); renewed every
    /// activity-broadcast interval while it does, and a lease that is not
    /// renewed for three intervals expires.
    Hold { count: u32 },
    /// A new tab asks its siblings for the current session.
    SessionWanted,
    /// The answer to `SessionWanted`, with `active_at`: the last moment the
    /// sender knows the user was present (now, while a hold lasts). `None`
    /// from a sender that does not say (the `R` form of earlier 0.2 builds).
    Session { started_at: Time, active_at: Option<Time>, token: Option<SharedToken> },
    /// The sending tab needs a new token and its token source cannot
    /// refresh there: a tab that can answers with [`Message::Session`] (so
    /// the asker knows it is heard) and refreshes.
    RefreshWanted,
    /// Without Web Locks: the sending tab claims (`held: false`) or holds a lock.
    Claim { lock: LockName, held: bool },
    /// Without Web Locks: the sending tab gave a lock up.
    Unclaim { lock: LockName },
}

/// A message and the tab that sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The sending tab's id.
    pub from: u64,
    /// What it says.
    pub message: Message,
}

impl Envelope {
    /// The wire form.
    pub fn encode(&self) -> String {
        let mut s = String::from(VERSION);
        let num = |s: &mut String, n: u64| {
            s.push(' ');
            push_u64(s, n);
        };
        let token = |s: &mut String, t: &Option<SharedToken>| {
            if let Some(t) = t {
                num(s, t.expires_at.0);
                s.push(' ');
                s.push_str(&t.value);
            }
        };
        num(&mut s, self.from);
        match &self.message {
            Message::Login { started_at, token: t } => {
                s.push_str(" L");
                num(&mut s, started_at.0);
                token(&mut s, t);
            }
            Message::Logout { reason, at } => {
                s.push_str(" O ");
                s.push_str(reason.name());
                if let Some(at) = at {
                    num(&mut s, at.0);
                }
            }
            Message::Token { started_at, token: t } => {
                s.push_str(" T");
                num(&mut s, started_at.0);
                token(&mut s, &Some(t.clone()));
            }
            Message::Activity { at, touched } => {
                s.push_str(" A");
                num(&mut s, at.0);
                num(&mut s, touched.0);
            }
            Message::StaySignedIn { at } => {
                s.push_str(" S");
                num(&mut s, at.0);
            }
            Message::Hold { count } => {
                s.push_str(" H");
                num(&mut s, u64::from(*count));
            }
            Message::SessionWanted => s.push_str(" Q"),
            Message::RefreshWanted => s.push_str(" F"),
            Message::Claim { lock, held } => {
                s.push_str(" C ");
                s.push_str(lock_code(*lock));
                s.push_str(if *held { " 1" } else { " 0" });
            }
            Message::Unclaim { lock } => {
                s.push_str(" U ");
                s.push_str(lock_code(*lock));
            }
            // `P`: a tab that only knows `R` must ignore this form, not read
            // `active_at` as the token's expiry.
            Message::Session { started_at, active_at, token: t } => {
                match active_at {
                    Some(at) => {
                        s.push_str(" P");
                        num(&mut s, at.0);
                    }
                    None => s.push_str(" R"),
                }
                num(&mut s, started_at.0);
                token(&mut s, t);
            }
        }
        s
    }

    /// The message as scripts outside the origin's pages may see it (the
    /// `storage` event's fallback channel): never a token. A login or a
    /// session answer goes as a notice without one, and the receiving tabs
    /// refresh for themselves; a token update is not sent at all (`None`):
    /// each tab refreshes on its own schedule.
    pub fn without_token(self) -> Option<Envelope> {
        let message = match self.message {
            Message::Login { started_at, .. } => Message::Login { started_at, token: None },
            Message::Session { started_at, active_at, .. } => Message::Session { started_at, active_at, token: None },
            Message::Token { .. } => return None,
            other => other,
        };
        Some(Envelope { from: self.from, message })
    }

    /// Decodes a message from another tab; `None` for anything malformed, from
    /// another protocol version, or of an unknown kind.
    pub fn decode(text: &str) -> Option<Envelope> {
        let (version, rest) = field(text)?;
        if version != VERSION {
            return None;
        }
        let (from, rest) = field(rest?)?;
        let from = number(from)?;
        let (mut kind, rest) = field(rest?)?;
        let mut rest = rest.unwrap_or("");
        // `P <active_at>` and then what `R` carries.
        let mut active_at = None;
        if kind == "P" {
            let (at, after) = time(rest)?;
            (kind, rest, active_at) = ("R", after?, Some(at));
        }
        let message = match kind {
            "L" | "T" | "R" => {
                let (started_at, rest) = time(rest)?;
                let token = match rest {
                    None => None,
                    Some(token) => {
                        let (expires_at, value) = time(token)?;
                        let value = value.filter(|v| !v.is_empty())?;
                        Some(SharedToken { expires_at, value: String::from(value) })
                    }
                };
                match kind {
                    "L" => Message::Login { started_at, token },
                    "T" => Message::Token { started_at, token: token? },
                    _ => Message::Session { started_at, active_at, token },
                }
            }
            "O" => {
                let (reason, at) = field(rest)?;
                let at = match at {
                    Some(at) => Some(Time(number(at)?)),
                    None => None,
                };
                Message::Logout { reason: Reason::from_name(reason)?, at }
            }
            "A" => {
                let (at, touched) = time(rest)?;
                Message::Activity { at, touched: Time(number(touched?)?) }
            }
            "S" => Message::StaySignedIn { at: Time(number(rest)?) },
            "H" => Message::Hold { count: u32::try_from(number(rest)?).ok()? },
            "Q" if rest.is_empty() => Message::SessionWanted,
            "F" if rest.is_empty() => Message::RefreshWanted,
            "C" => {
                let (lock, held) = field(rest)?;
                let held = match held? {
                    "1" => true,
                    "0" => false,
                    _ => return None,
                };
                Message::Claim { lock: lock_from(lock)?, held }
            }
            "U" => Message::Unclaim { lock: lock_from(rest)? },
            _ => return None,
        };
        Some(Envelope { from, message })
    }
}

fn lock_code(lock: LockName) -> &'static str {
    match lock {
        LockName::Leader => "l",
        LockName::Refresh => "r",
    }
}

fn lock_from(code: &str) -> Option<LockName> {
    [LockName::Leader, LockName::Refresh].into_iter().find(|&l| lock_code(l) == code)
}

/// A time field and what follows it.
fn time(text: &str) -> Option<(Time, Option<&str>)> {
    let (t, rest) = field(text)?;
    Some((Time(number(t)?), rest))
}

/// The text up to the first space and what follows it (`None` without a
/// space). Byte-wise: `str::split*` with a char pattern costs ~2 KB of wasm.
fn field(text: &str) -> Option<(&str, Option<&str>)> {
    match text.bytes().position(|b| b == b' ') {
        Some(i) => Some((text.get(..i)?, Some(text.get(i + 1..)?))),
        None => Some((text, None)),
    }
}
