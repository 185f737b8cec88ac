//! The idle and absolute timeouts and their warnings: when the user stops
//! counting as present (no activity in any tab, no hold), when the session's
//! lifetime runs out, and the warnings that come before either.

use super::io::{Cause, Event};
use super::message::Reason;
use super::time::Time;
use super::Engine;

impl Engine {
    /// Warnings appear once when their time comes and go when activity (here, in
    /// another tab, or "stay signed in") or a hold moves the idle deadline away again.
    pub(super) fn evaluate_presence(&mut self, now: Time) {
        let idle_at = self.idle_at();
        let absolute_at = self.absolute_due();
        let warning_ms = self.t.warning_ms;
        let Some(s) = self.session_mut() else { return };
        let mut events: [Option<Event>; 2] = [None, None];
        // Without an idle deadline (a hold) the user is present, and no warning is due.
        let present = idle_at.map_or(true, |i| now < i);
        let before_warning = idle_at.map_or(true, |i| now < i.before(warning_ms));
        if (s.idle && present) || (s.idle_warned && before_warning) {
            s.idle = false;
            s.idle_warned = false;
            events[0] = Some(Event::Activity);
        } else if !s.idle && !s.idle_warned && warning_ms > 0 && !before_warning {
            s.idle_warned = true;
            let remaining_ms = idle_at.map_or(0, |i| i.since(now));
            events[0] = Some(Event::Warning { cause: Cause::Idle, remaining_ms });
        }
        if let Some(abs) = absolute_at {
            if !s.absolute_warned && warning_ms > 0 && now >= abs.before(warning_ms) {
                s.absolute_warned = true;
                events[1] = Some(Event::Warning { cause: Cause::Absolute, remaining_ms: abs.since(now) });
            }
        }
        for e in events.into_iter().flatten() {
            self.emit(e);
        }
    }

    pub(super) fn absolute_due(&self) -> Option<Time> {
        let s = self.session()?;
        Some(s.started_at.after(self.t.absolute_ms?))
    }

    /// The last moment the user is known to have been there: their last
    /// activity in any tab, or the end of the last hold.
    pub(super) fn present_since(&self) -> Time {
        self.activity.last().max(self.holds.ended_at())
    }

    /// The user's presence as a tab joining the session should take it:
    /// `present_since`, or now while a hold lasts.
    pub(super) fn present_at(&self) -> Time {
        self.idle_at().map_or(self.now, |_| self.present_since())
    }

    /// When the user stops counting as present; `None` while a hold keeps them.
    pub(super) fn idle_at(&self) -> Option<Time> {
        (!self.holds.holding(self.now)).then(|| self.present_since().after(self.t.idle_ms))
    }

    /// When the session ends for `reason`, by this tab's account: a timeout at
    /// its deadline, even when noticed late (after a freeze); anything else now.
    pub(super) fn ended_at(&self, reason: Reason) -> Time {
        let deadline = match reason {
            Reason::Idle => self.idle_at(),
            Reason::Absolute => self.absolute_due(),
            Reason::User | Reason::Revoked => None,
        };
        deadline.map_or(self.now, |d| d.min(self.now))
    }

    /// This tab's session started after `at`: a logout another tab decided
    /// then was about an earlier session (it woke late and timed that one out).
    pub(super) fn started_after(&self, at: Option<Time>) -> bool {
        matches!((self.session(), at), (Some(s), Some(at)) if at < s.started_at)
    }

    pub(super) fn idle_due(&self) -> Option<Time> {
        let s = self.session()?;
        (!s.idle).then(|| self.idle_at()).flatten()
    }

    pub(super) fn idle_warning_due(&self) -> Option<Time> {
        let s = self.session()?;
        (!s.idle && !s.idle_warned && self.t.warning_ms > 0)
            .then(|| self.idle_at())
            .flatten()
            .map(|i| i.before(self.t.warning_ms))
    }

    pub(super) fn absolute_warning_due(&self) -> Option<Time> {
        let s = self.session()?;
        (!s.absolute_warned && self.t.warning_ms > 0)
            .then(|| self.absolute_due())
            .flatten()
            .map(|a| a.before(self.t.warning_ms))
    }
}
