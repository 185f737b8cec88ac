//! Holds: long tasks without input (a video, an upload) that keep the user
//! present in every tab. This tab's own count, and other tabs' counts as
//! leases that expire unless renewed, so a crashed or frozen tab cannot hold
//! the session for ever.

use alloc::vec::Vec;

use super::time::Time;

/// Another tab's holds, as this tab last heard of them.
#[derive(Clone, Copy, Debug)]
struct Lease {
    tab: u64,
    count: u32,
    /// Unless renewed: counted from when the message arrived, never from the
    /// sender's clock.
    expires_at: Time,
}

/// A peer's lease lasts this many renewal intervals.
const LEASE_INTERVALS: u64 = 3;

/// This tab's holds and what the other tabs were told of them, and the other
/// tabs' leases. A new tab starts with none, and none ever ended.
#[derive(Debug, Default)]
pub(super) struct Holds {
    /// Started here and not released; they outlive a logout, as the app's handles do.
    local: u32,
    /// The page is hidden or going away: the other tabs were told it holds nothing.
    page_hidden: bool,
    /// When the other tabs were last told this tab's count, and the count;
    /// `None` when they must hear it at once (a new session, a resumed page).
    announced: Option<(Time, u32)>,
    /// Other tabs' holds; only while signed in.
    peers: Vec<Lease>,
    /// When the last hold ended, here or in a peer: like an activity, the user
    /// counts as present for the idle timeout from then (the epoch before any).
    ended_at: Time,
}

impl Holds {
    /// The app started one hold here.
    pub(super) fn hold(&mut self) {
        self.local = self.local.saturating_add(1);
    }

    /// The app ended one hold here (ignored when none is held).
    pub(super) fn release(&mut self, now: Time) {
        if self.local > 0 {
            self.local -= 1;
            self.ended(now);
        }
    }

    /// `pagehide`: the others are told now that this tab holds nothing.
    pub(super) fn page_hide(&mut self) {
        self.page_hidden = true;
    }

    /// The page is back (visible, thawed, restored): after a freeze the peers'
    /// leases may have run out, and back from the back/forward cache the page
    /// told them it held nothing, so they hear the count again.
    pub(super) fn resume(&mut self) {
        self.page_hidden = false;
        self.announce_again();
    }

    /// The other tabs must hear this tab's count at once (a new session).
    pub(super) fn announce_again(&mut self) {
        self.announced = None;
    }

    /// Records, renews or drops another tab's lease; it lasts
    /// [`LEASE_INTERVALS`] renewal intervals from now.
    pub(super) fn heard(&mut self, now: Time, tab: u64, count: u32, interval_ms: u64) {
        let expires_at = now.after(LEASE_INTERVALS * interval_ms);
        if count == 0 {
            let before = self.peers.len();
            self.peers.retain(|l| l.tab != tab);
            if self.peers.len() < before {
                self.ended(now);
            }
        } else if let Some(lease) = self.peers.iter_mut().find(|l| l.tab == tab) {
            *lease = Lease { tab, count, expires_at };
        } else {
            self.peers.push(Lease { tab, count, expires_at });
        }
    }

    /// Leases belong to a session: a logout drops them.
    pub(super) fn forget_peers(&mut self) {
        self.peers.clear();
    }

    /// A lease that ran out ended its holds when it expired, not when noticed:
    /// a tab waking late must not count the user as present for longer.
    pub(super) fn expire(&mut self, now: Time) {
        let expired = self.peers.iter().map(|l| l.expires_at).filter(|&e| e <= now).max();
        if let Some(at) = expired {
            self.peers.retain(|l| l.expires_at > now);
            self.ended(at);
        }
    }

    fn ended(&mut self, at: Time) {
        self.ended_at = self.ended_at.max(at);
    }

    /// Holds started here and not released.
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(super) fn local(&self) -> u32 {
        self.local
    }

    /// When the last hold ended.
    pub(super) fn ended_at(&self) -> Time {
        self.ended_at
    }

    /// Any tab holds at `now`: the user counts as present, however long it lasts.
    pub(super) fn holding(&self, now: Time) -> bool {
        self.local > 0 || self.peers.iter().any(|l| l.expires_at > now)
    }

    /// Holds active across tabs: this tab's and the unexpired leases'.
    pub(super) fn count(&self, now: Time) -> u32 {
        let live = self.peers.iter().filter(|l| l.expires_at > now);
        live.fold(self.local, |n, l| n.saturating_add(l.count))
    }

    /// When the first lease runs out.
    pub(super) fn next_expiry(&self) -> Option<Time> {
        self.peers.iter().map(|l| l.expires_at).min()
    }

    /// The count the other tabs should see: none while the page is hidden.
    fn to_announce(&self) -> u32 {
        if self.page_hidden {
            0
        } else {
            self.local
        }
    }

    /// At once when the count the others know is not the one to announce (or
    /// they must hear it again), then once per interval while holds last.
    pub(super) fn announcement_due(&self, now: Time, interval_ms: u64) -> Option<Time> {
        let count = self.to_announce();
        match self.announced {
            Some((_, told)) if told != count => Some(now),
            Some((at, told)) => (told > 0).then(|| at.after(interval_ms)),
            None => (count > 0).then_some(now),
        }
    }

    /// The count to tell the others now, recorded as told.
    pub(super) fn announce(&mut self, now: Time) -> u32 {
        let count = self.to_announce();
        self.announced = Some((now, count));
        count
    }
}
