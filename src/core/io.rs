//! What crosses the engine's boundary: the inputs the driver feeds it, the
//! commands and events it drains (and the queue they wait in), the results of
//! requests, and the snapshot for the app. Plain data, no behaviour beyond
//! naming and queueing.

use alloc::string::String;
use alloc::vec::Vec;

use super::message::{Envelope, Reason};
use super::time::Time;

/// Which deadline a warning or timeout is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The idle timeout.
    Idle,
    /// The absolute timeout.
    Absolute,
}

/// Which request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// The keepalive ping.
    Heartbeat,
    /// The token refresh.
    Refresh,
}

/// Why a request failed without a definitive answer; all of these are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request did not reach the server or the reply did not come back.
    Network,
    /// No reply within `requestTimeoutMs`.
    Timeout,
    /// A 5xx or other unexpected status.
    Server,
    /// 429; the server's `Retry-After`, in milliseconds, when it gave one.
    RateLimited(Option<u64>),
    /// A 2xx whose body is not the expected JSON, or a callback's result
    /// that is not of the documented form.
    Malformed,
    /// The app's callback (`refresh`, `keepalive`) rejected or threw.
    Rejected,
}

/// What a heartbeat request came back with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartbeatResult {
    /// 2xx: the server session was touched.
    Ok,
    /// 401/403: the server session is gone.
    Rejected,
    /// Anything else.
    Failed(Failure),
}

/// What a refresh request came back with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshResult {
    /// A new access token valid for `expires_in_ms` from when the request was sent.
    Ok {
        /// The bearer token.
        token: String,
        /// Its lifetime, from the reply's `expiresIn` (seconds × 1000).
        expires_in_ms: u64,
    },
    /// 401/403: the refresh cookie is no longer valid.
    Rejected,
    /// This tab cannot refresh: the app's token source holds no credentials
    /// here (a library that keeps its tokens per tab, in a tab opened before
    /// the sign-in). Another tab is asked; the session ends only if none can.
    Elsewhere,
    /// Anything else.
    Failed(Failure),
}

/// Which tab refreshes the token next, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresher {
    /// This tab: it signed in or refreshed last.
    This,
    /// The tab that signed in or refreshed last, another one, still alive.
    Other,
    /// No such tab is known to live: the leader.
    Leader,
    /// Not this tab: its token source cannot refresh here; the others do.
    Unable,
}

/// Everything that can happen to the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The user did something in this tab.
    Activity,
    /// The user chose "stay signed in".
    StaySignedIn,
    /// The app asked to log out.
    Logout,
    /// A session exists after a login: with an access token and its lifetime
    /// in milliseconds (at least [`MIN_TOKEN_LIFETIME_MS`](super::MIN_TOKEN_LIFETIME_MS),
    /// else the input is ignored), or `None` for a cookie-only session. The
    /// lifetime counts from `sent_at`, when the login request left (`now`
    /// for a session the app started itself).
    SessionStarted {
        /// The access token and its lifetime, for a token session.
        token: Option<(String, u64)>,
        /// When the request that produced it left.
        sent_at: Time,
    },
    /// Someone wants an access token; answered by [`Command::ResolveTokenWaiters`].
    TokenWanted,
    /// The server answered 401 to a request made with this token.
    TokenRejected(String),
    /// An authenticated app request sent at this time succeeded: the server session was touched.
    ServerTouched(Time),
    /// The heartbeat asked for by [`Command::SendHeartbeat`] finished.
    HeartbeatDone(HeartbeatResult),
    /// The cross-tab refresh lock asked for by [`Command::AcquireRefreshLock`] is held.
    RefreshLockAcquired,
    /// The refresh asked for by [`Command::SendRefresh`] finished.
    RefreshDone(RefreshResult),
    /// A message from another tab, undecoded.
    Message(String),
    /// This tab became (true) or stopped being (false) the leader.
    Leadership(bool),
    /// The browser went online (true) or offline (false).
    Online(bool),
    /// The page became visible or resumed after a freeze or sleep (or came back
    /// from the back/forward cache): the holds of this tab are announced again.
    Resumed,
    /// The page came back from the back/forward cache: as [`Input::Resumed`],
    /// and what it missed meanwhile is checked: a token session's token is
    /// renewed (or taken from a sibling) before it is handed out again.
    Restored,
    /// The app started one hold in this tab (a video playing, an upload): while
    /// any tab holds one, the user counts as present everywhere.
    Hold,
    /// The app ended one hold in this tab; ignored when none is held. The idle
    /// timeout then counts from now.
    Release,
    /// The page is going away or into the back/forward cache: the other tabs
    /// are told now that this tab's holds end; this tab keeps its count and
    /// announces it again on [`Input::Resumed`]. Without Web Locks it also
    /// gives up leading, and claims it again on [`Input::Resumed`].
    PageHide,
    /// The tab with this id is gone: its Web Lock of life, watched since
    /// [`Command::WatchTab`], was freed by the browser. Its holds end now,
    /// even if its last words were lost (Firefox sometimes drops the
    /// messages of a tab that closes); if it refreshed last, the leader
    /// refreshes from now on.
    TabGone(u64),
    /// This browser has no Web Locks, or refused a lock request: from now on
    /// the tabs elect their leader and serialize refreshes over their
    /// messages ([`Message::Claim`](super::Message::Claim)), and the driver
    /// gets no lock commands and sends no [`Input::Leadership`].
    LocksUnavailable,
}

/// Something the app is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The user is back: a warning was dismissed or an idle session resumed.
    Activity,
    /// No activity for the idle timeout (the session stays, see `logoutOnIdle`).
    Idle,
    /// The session will end in `remaining_ms` unless the user stays.
    Warning {
        /// Which deadline.
        cause: Cause,
        /// Milliseconds left.
        remaining_ms: u64,
    },
    /// The session timed out; a `Logout` follows.
    Timeout(Cause),
    /// A new access token arrived (here or from another tab).
    Refresh {
        /// Its expiry.
        expires_at: Time,
    },
    /// A session started here or in another tab.
    Login {
        /// The access token's expiry, for a token session.
        expires_at: Option<Time>,
    },
    /// The session ended.
    Logout {
        /// Why, as decided by the tab where it happened.
        reason: Reason,
        /// The logout came from another tab: this tab neither calls the
        /// logout endpoint nor tells the others.
        remote: bool,
    },
    /// A heartbeat touched the server session.
    Heartbeat,
    /// This tab became or stopped being the leader.
    Leader(bool),
    /// A request failed; it is retried.
    Error(Operation, Failure),
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Attach (true) or detach (false) the activity listeners.
    Listen(bool),
    /// POST the keepalive endpoint, then report [`Input::HeartbeatDone`].
    SendHeartbeat,
    /// Take the cross-tab refresh lock, then report [`Input::RefreshLockAcquired`].
    AcquireRefreshLock,
    /// POST the refresh endpoint, then report [`Input::RefreshDone`].
    SendRefresh,
    /// Release the refresh lock (a no-op when not held).
    ReleaseRefreshLock,
    /// The refresh lock has stayed with another tab far longer than a refresh
    /// takes (a hung tab, a browser bug): take it over (Web Locks' `steal`);
    /// then report [`Input::RefreshLockAcquired`].
    StealRefreshLock,
    /// The leader has let a heartbeat go overdue (a hung or frozen tab
    /// holding the leader lock): take the leader lock over (`steal`), then
    /// report [`Input::Leadership`]; the tab it was taken from is told
    /// `Leadership(false)`.
    StealLeadership,
    /// POST the logout endpoint; its outcome does not matter.
    CallLogout,
    /// Another tab holds, or signed in or refreshed last: queue for its Web
    /// Lock of life (each tab holds its own, named by its
    /// [`Engine::tab`](super::Engine::tab), until it goes away), then report
    /// [`Input::TabGone`]. Repeated with each renewal of a hold's lease: one
    /// watch per tab is enough.
    WatchTab(u64),
    /// Send this message to the other tabs: [`Envelope::encode`] where the
    /// channel is private to the origin's pages, [`Envelope::without_token`]
    /// where other scripts can read it.
    Broadcast(Envelope),
    /// Tell the app.
    Emit(Event),
    /// Answer everyone waiting for a token (`getAccessToken()`, `fetch()`)
    /// with this one: valid when the command was queued, or `None`.
    ResolveTokenWaiters(Option<String>),
}

/// The commands waiting for [`Engine::poll_command`](super::Engine::poll_command),
/// first in, first out. Not a `VecDeque`: its growth and drop code slice
/// with bounds checks, and each check links a panic path (measured: the
/// package is 1 095 B gzip smaller with this). The queue is emptied
/// once every command in it has been taken, which is after each drain.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queued: Vec<Option<Command>>,
    taken: usize,
}

impl Outbox {
    pub(crate) fn push_back(&mut self, command: Command) {
        self.queued.push(Some(command));
    }

    pub(crate) fn pop_front(&mut self) -> Option<Command> {
        let command = self.queued.get_mut(self.taken).and_then(Option::take);
        if command.is_some() {
            self.taken += 1;
        } else {
            self.queued.clear();
            self.taken = 0;
        }
        command
    }
}

/// A read-only view of the engine for the app's `state` getter; never the token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// A session exists.
    pub authenticated: bool,
    /// The tab is still asking siblings or the server whether a session exists.
    pub restoring: bool,
    /// No activity for the idle timeout (only with `logoutOnIdle: false`).
    pub idle: bool,
    /// This tab does the heartbeat.
    pub leader: bool,
    /// The browser is online.
    pub online: bool,
    /// When the access token expires.
    pub token_expires_at: Option<Time>,
    /// The last activity seen in any tab.
    pub last_activity: Option<Time>,
    /// When the last heartbeat succeeded.
    pub last_heartbeat: Option<Time>,
    /// When the last token arrived.
    pub last_refresh: Option<Time>,
    /// Time left while a warning is showing.
    pub warning_remaining_ms: Option<u64>,
    /// When the idle timeout will end the session, as of now.
    pub idle_at: Option<Time>,
    /// When the absolute timeout will end the session.
    pub absolute_at: Option<Time>,
    /// Holds active across tabs: this tab's and those of other tabs' unexpired leases.
    pub holds: u32,
    /// Which tab refreshes the token (a token session only).
    pub refresher: Option<Refresher>,
}
