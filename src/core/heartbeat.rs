//! The keepalive ping against the server's sliding timeout: what is in
//! flight, when the last one left and succeeded, its retries, and the
//! earliest moment the next one may go. Whether the user still counts as
//! present then is the engine's question, not this module's.

use super::backoff::Backoff;
use super::config::HeartbeatTiming;
use super::io::{Command, Event, HeartbeatResult, Operation};
use super::message::Reason;
use super::time::Time;
use super::{Auth, Engine};

#[derive(Debug, Default)]
pub(super) struct Heartbeat {
    /// The session epoch the ping in flight was sent in.
    in_flight: Option<u32>,
    sent_at: Option<Time>,
    /// Retries after failures.
    pub(super) backoff: Backoff,
    last_ok: Option<Time>,
    /// A follower does not take the leader lock over before then (it just
    /// did, or the page just woke and the leader has not had its chance).
    hold_off_until: Option<Time>,
}

impl Heartbeat {
    /// A ping leaves at `now`, during session `epoch`.
    pub(super) fn send(&mut self, now: Time, epoch: u32) {
        self.in_flight = Some(epoch);
        self.sent_at = Some(now);
    }

    /// The ping in flight came back: when it was sent, if it was sent during
    /// session `epoch` (a reply to an earlier session's ping is about nothing).
    pub(super) fn done(&mut self, epoch: u32) -> Option<Time> {
        let sent_in = self.in_flight.take()?;
        (sent_in == epoch).then_some(self.sent_at).flatten()
    }

    pub(super) fn succeeded(&mut self, now: Time) {
        self.backoff.reset();
        self.last_ok = Some(now);
    }

    /// For the property tests' copy of the old heartbeat rule: the retry
    /// state, when the last ping left, and whether one is in flight.
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(super) fn inspect(&self) -> (&Backoff, Option<Time>, bool) {
        (&self.backoff, self.sent_at, self.in_flight.is_some())
    }

    /// No leader takeover before `until`.
    pub(super) fn hold_off(&mut self, until: Time) {
        self.hold_off_until = Some(until);
    }

    pub(super) fn last_ok(&self) -> Option<Time> {
        self.last_ok
    }

    /// The earliest a ping may go, `None` while one is in flight: the latest
    /// moment that still beats the server's sliding timeout (from its last
    /// touch) by the margin, but never closer to the last ping than the
    /// minimum interval (retries too: that interval is a promise to the
    /// server), and not before a retry's backoff.
    pub(super) fn earliest(&self, h: &HeartbeatTiming, last_touch: Time) -> Option<Time> {
        if self.in_flight.is_some() {
            return None;
        }
        let mut due = last_touch.after(h.session_ms - h.margin_ms);
        if let Some(last) = self.sent_at {
            due = due.max(last.after(h.min_interval_ms));
        }
        Some(self.backoff.delay(due))
    }
}

/// The engine's side of the heartbeat: when a ping is needed, and what its
/// reply changes.
impl Engine {
    pub(super) fn heartbeat_done(&mut self, now: Time, result: HeartbeatResult) {
        let Some(sent_at) = self.heartbeat.done(self.epoch) else { return };
        if !matches!(self.auth, Auth::In(_)) {
            return;
        }
        match result {
            HeartbeatResult::Ok => {
                self.heartbeat.succeeded(now);
                self.activity.touched(sent_at);
                self.emit(Event::Heartbeat);
            }
            HeartbeatResult::Rejected => self.end(Reason::Revoked, false),
            HeartbeatResult::Failed(f) => {
                self.heartbeat.backoff.fail(now, f, &mut self.rng);
                self.emit(Event::Error(Operation::Heartbeat, f));
            }
        }
    }

    /// The heartbeat's part of the evaluation: the leader pings when due, a
    /// follower takes the leader lock over when the leader's ping is overdue.
    pub(super) fn evaluate_heartbeat(&mut self, now: Time) {
        if self.heartbeat_due().is_some_and(|d| d <= now) {
            self.heartbeat.send(now, self.epoch);
            self.out.push_back(Command::SendHeartbeat);
        }
        if let Some(h) = self.t.heartbeat.filter(|_| self.leader_overdue().is_some_and(|d| d <= now)) {
            self.heartbeat.hold_off(now.after(self.takeover_grace_ms(&h)));
            self.out.push_back(Command::StealLeadership);
        }
    }

    pub(super) fn heartbeat_due(&self) -> Option<Time> {
        self.ping_due().filter(|_| self.leader)
    }

    /// When a follower takes the leader lock over (Web Locks' `steal`): the
    /// ping the leader owes, as every tab knows it from the shared activity
    /// and last touch, is overdue by half the margin it was timed with (a
    /// hung or long-frozen leader), plus an amount of this tab's own so that
    /// followers do not all take it at once. Not before a hold-off (after a
    /// takeover, or a wake). Without Web Locks the leader's claim expires instead.
    pub(super) fn leader_overdue(&self) -> Option<Time> {
        let h = self.t.heartbeat?;
        if self.leader || self.claims.is_some() {
            return None;
        }
        let overdue = self.ping_due()?.after(self.takeover_grace_ms(&h));
        Some(self.heartbeat.hold_off_until.map_or(overdue, |until| overdue.max(until)))
    }

    pub(super) fn takeover_grace_ms(&self, h: &HeartbeatTiming) -> u64 {
        let grace = h.margin_ms / 2;
        grace + self.tab % (grace / 2 + 1)
    }

    /// The page woke: the leader gets its chance to ping before anyone takes over.
    pub(super) fn heartbeat_resumed(&mut self, now: Time) {
        if let Some(h) = self.t.heartbeat {
            let until = now.after(self.takeover_grace_ms(&h));
            self.heartbeat.hold_off(until);
        }
    }

    /// When a ping is due from whichever tab leads.
    ///
    /// Only online, with a live non-idle session, with a live non-idle session,
    /// at the latest moment that still beats the server's sliding timeout with a
    /// margin, and only if the user must still count as present then: a hold
    /// keeps them, they were there (active, or a hold ended) since the server
    /// was last touched, or the idle window outlasts the server's and reaches
    /// past that moment.
    ///
    /// With an idle timeout no longer than the session timeout the last case
    /// never applies: presence since the last touch is then exactly what keeps
    /// the server session alive until the idle deadline (a touch after it
    /// already outlives the deadline), and a ping for activity just before a
    /// touch would be one the server does not need.
    fn ping_due(&self) -> Option<Time> {
        let h = self.t.heartbeat?;
        let s = self.session()?;
        if s.idle || !self.online {
            return None;
        }
        let last_touch = self.activity.last_touch();
        let due = self.heartbeat.earliest(&h, last_touch)?;
        let needed = match self.idle_at() {
            None => true, // a hold
            Some(idle_at) => self.present_since() > last_touch || (self.t.idle_ms > h.session_ms && idle_at > due),
        };
        needed.then_some(due)
    }
}
