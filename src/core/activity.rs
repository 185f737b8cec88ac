//! The user's activity and the server's last touch, as this tab knows them
//! from its own listeners, the app's requests and the other tabs; when the
//! listeners are attached (one event per sampling period reaches the engine,
//! however hot the event stream); and when the other tabs hear of it.

use super::time::Time;

#[derive(Debug)]
pub(super) struct Activity {
    /// The last activity seen in any tab.
    last: Time,
    /// The last time the server session was touched (a heartbeat, an app request).
    last_touch: Time,
    /// The activity listeners are attached.
    listening: bool,
    /// Listeners are detached after an event until then.
    listen_again_at: Time,
    /// Something the other tabs have not heard of yet.
    unsent: bool,
    /// When the other tabs last heard.
    sent_at: Option<Time>,
    sample_ms: u64,
    broadcast_interval_ms: u64,
}

impl Activity {
    pub(super) fn new(now: Time, idle_ms: u64) -> Activity {
        Activity {
            last: now,
            last_touch: now,
            listening: false,
            listen_again_at: now,
            unsent: false,
            sent_at: None,
            sample_ms: (idle_ms / 16).clamp(50, 1_000),
            broadcast_interval_ms: (idle_ms / 8).clamp(100, 5_000),
        }
    }

    /// The user was active at `at` (here, in another tab, or "stay signed in").
    pub(super) fn seen(&mut self, at: Time) {
        self.last = self.last.max(at);
    }

    /// A listener here caught the user at `now`: the listeners rest for one
    /// sampling period, and the others are told.
    pub(super) fn local(&mut self, now: Time) {
        self.seen(now);
        self.listen_again_at = now.after(self.sample_ms);
        self.unsent = true;
    }

    /// A request sent at `at` touched the server; the others are told.
    pub(super) fn touched(&mut self, at: Time) {
        if at > self.last_touch {
            self.last_touch = at;
            self.unsent = true;
        }
    }

    /// Another tab's report: activity at `at`, the server touched at `touched`.
    pub(super) fn heard(&mut self, at: Time, touched: Time) {
        self.seen(at);
        self.last_touch = self.last_touch.max(touched);
    }

    /// A sibling answered this tab's question for the session: the user was
    /// last present at `at`. A tab `joining` the session takes that as the
    /// session's presence: its own page load is not the user at work here, so
    /// it counts the idle timeout exactly as the tabs already open do (a user
    /// who opens a tab from a link acts in another tab, which counts there).
    pub(super) fn joined(&mut self, joining: bool, at: Time) {
        if joining {
            self.last = at;
        } else {
            self.seen(at);
        }
    }

    /// A login is the user at work, and a request that touched the server.
    pub(super) fn login(&mut self, now: Time) {
        self.seen(now);
        self.last_touch = self.last_touch.max(now);
    }

    /// Nothing is left to tell after a logout.
    pub(super) fn forget_unsent(&mut self) {
        self.unsent = false;
    }

    pub(super) fn last(&self) -> Time {
        self.last
    }

    pub(super) fn last_touch(&self) -> Time {
        self.last_touch
    }

    /// How often a tab tells the others of its activity, and renews its holds' lease.
    pub(super) fn broadcast_interval_ms(&self) -> u64 {
        self.broadcast_interval_ms
    }

    /// When the others should hear: at once the first time, then at most once per interval.
    pub(super) fn broadcast_due(&self, now: Time) -> Option<Time> {
        self.unsent.then(|| self.sent_at.map_or(now, |s| s.after(self.broadcast_interval_ms)))
    }

    /// What to tell the others now: the last activity and the last touch.
    pub(super) fn broadcast(&mut self, now: Time) -> (Time, Time) {
        self.unsent = false;
        self.sent_at = Some(now);
        (self.last, self.last_touch)
    }

    /// When the listeners should be attached again, if they are not.
    pub(super) fn listen_due(&self) -> Option<Time> {
        (!self.listening).then_some(self.listen_again_at)
    }

    /// Whether the listeners should be attached at `now`, if `wanted` at all.
    pub(super) fn should_listen(&self, now: Time, wanted: bool) -> bool {
        wanted && now >= self.listen_again_at
    }

    /// Records whether the listeners are attached; true if that changed.
    pub(super) fn set_listening(&mut self, on: bool) -> bool {
        let changed = on != self.listening;
        self.listening = on;
        changed
    }
}
