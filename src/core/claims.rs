//! Cross-tab locks over the tabs' own messages, for browsers without Web
//! Locks (Safari before 15.4, some embedded WebViews, a page that removed
//! `navigator.locks`): the leader, held for the tab's life, and the refresh
//! lock, held while one refresh is under way, so that a rotating refresh
//! token is never spent twice.
//!
//! The protocol. A tab that wants a lock waits while another tab's claim is
//! live, then announces its claim and listens for one window. A tab already
//! holding the lock answers any claim by asserting it again, and the claimant
//! yields; of two tabs claiming at once, the lower tab id wins, and it answers
//! the higher one's claim with its own (a tab that opened after that claim was
//! announced has not heard it). A held claim
//! lives for a time-to-live from when it was last heard, and the leader
//! renews its own well within that, so a tab that crashed without
//! `pagehide` is replaced once its claim runs out. Two holders (a tab that
//! slept through its claim's expiry) resolve the same way: the lower id keeps
//! the lock, the other gives it up when it hears of it.

use super::io::Command;
use super::message::{LockName, Message};
use super::time::Time;
use super::Engine;

/// Long enough for a claim to cross every tab (BroadcastChannel and the
/// `storage` event deliver within milliseconds) before the claimant takes the lock.
pub(super) const CLAIM_WINDOW_MS: u64 = 150;

/// What this tab does about one lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mine {
    /// It does not want it.
    Idle,
    /// It wants it: waiting for another's claim to end (`None`), or claiming since then.
    Wanted(Option<Time>),
    /// It holds it, last asserted then.
    Held(Time),
}

/// Another tab's claim, as last heard.
#[derive(Clone, Copy, Debug)]
struct Peer {
    tab: u64,
    held: bool,
    expires_at: Time,
}

/// What the engine must do after a change of the lock's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Nothing.
    None,
    /// Tell the others this tab claims it (`held: false`) or holds it (`held: true`).
    Announce { held: bool },
    /// The lock is now this tab's (announce it as held).
    Acquired,
    /// Another tab holds it: this tab gave it up.
    Lost,
}

/// One lock over messages.
#[derive(Debug)]
pub(super) struct Claim {
    tab: u64,
    /// How long a held claim lasts from when it was last heard.
    ttl_ms: u64,
    /// How often the holder asserts it again; `None`: held briefly, never renewed.
    renew_ms: Option<u64>,
    mine: Mine,
    peer: Option<Peer>,
}

impl Claim {
    pub(super) fn new(tab: u64, ttl_ms: u64, renew_ms: Option<u64>) -> Claim {
        Claim { tab, ttl_ms, renew_ms, mine: Mine::Idle, peer: None }
    }

    /// This tab wants the lock (no change if it already does or holds it).
    pub(super) fn want(&mut self) {
        if self.mine == Mine::Idle {
            self.mine = Mine::Wanted(None);
        }
    }

    /// This tab gives the lock up, or stops wanting it: whether the others
    /// must be told (it had claimed or held it).
    pub(super) fn release(&mut self) -> bool {
        let told = matches!(self.mine, Mine::Held(_) | Mine::Wanted(Some(_)));
        self.mine = Mine::Idle;
        told
    }

    fn peer_live(&self, now: Time) -> bool {
        self.peer.is_some_and(|p| p.expires_at > now)
    }

    /// Another tab claims (`held: false`) or holds the lock.
    pub(super) fn heard(&mut self, now: Time, tab: u64, held: bool) -> Step {
        let expires_at = now.after(if held { self.ttl_ms } else { 3 * CLAIM_WINDOW_MS });
        let peer = Peer { tab, held, expires_at };
        match self.mine {
            // A claimant yields to a holder: tell it.
            Mine::Held(_) if !held => return Step::Announce { held: true },
            // Two holders: the lower id keeps it.
            Mine::Held(_) if tab > self.tab => return Step::Announce { held: true },
            Mine::Held(_) => {
                self.mine = Mine::Wanted(None);
                self.peer = Some(peer);
                return Step::Lost;
            }
            // Claiming against a lower id or a holder: yield and wait.
            Mine::Wanted(Some(_)) if held || tab < self.tab => self.mine = Mine::Wanted(None),
            // A higher id yields to this claim; it is told again, as it may
            // have opened after this claim was announced and never heard it.
            Mine::Wanted(Some(_)) => return Step::Announce { held: false },
            Mine::Wanted(None) | Mine::Idle => {}
        }
        // Keep the claim that matters most: a holder over a claimant, else the lower id.
        let replace = match self.peer.filter(|p| p.expires_at > now) {
            None => true,
            Some(p) => p.tab == tab || (held && !p.held) || (held == p.held && tab < p.tab),
        };
        if replace {
            self.peer = Some(peer);
        }
        Step::None
    }

    /// The page ran again after a sleep or a freeze: a claim window it slept
    /// through proves nothing (the other tabs' claims may still be queued for
    /// it), so it claims again and listens for a whole window.
    pub(super) fn resume(&mut self, now: Time) -> Step {
        match self.mine {
            Mine::Wanted(Some(_)) => {
                self.mine = Mine::Wanted(Some(now));
                Step::Announce { held: false }
            }
            _ => Step::None,
        }
    }

    /// Another tab gave the lock up.
    pub(super) fn heard_release(&mut self, tab: u64) {
        if self.peer.is_some_and(|p| p.tab == tab) {
            self.peer = None;
        }
    }

    /// When [`Claim::step`] must run next.
    pub(super) fn due(&self) -> Option<Time> {
        match self.mine {
            Mine::Idle => None,
            Mine::Wanted(None) => Some(self.peer.map_or(Time(0), |p| p.expires_at)),
            Mine::Wanted(Some(since)) => Some(since.after(CLAIM_WINDOW_MS)),
            Mine::Held(at) => self.renew_ms.map(|r| at.after(r)),
        }
    }

    /// Moves the protocol on at `now`.
    pub(super) fn step(&mut self, now: Time) -> Step {
        match self.mine {
            Mine::Wanted(None) if !self.peer_live(now) => {
                self.peer = None;
                self.mine = Mine::Wanted(Some(now));
                Step::Announce { held: false }
            }
            Mine::Wanted(Some(since)) if now >= since.after(CLAIM_WINDOW_MS) => {
                self.mine = Mine::Held(now);
                Step::Acquired
            }
            Mine::Held(at) if self.renew_ms.is_some_and(|r| now >= at.after(r)) => {
                self.mine = Mine::Held(now);
                Step::Announce { held: true }
            }
            _ => Step::None,
        }
    }
}

/// How long a leader's claim lasts unheard, and how often the leader renews
/// it: a hidden tab's timers may run once a minute (Chrome's intensive
/// throttling), so the renewal must survive one late firing.
const LEADER_TTL_MS: u64 = 75_000;
const LEADER_RENEW_MS: u64 = 20_000;

/// The two locks of a tab without Web Locks.
#[derive(Debug)]
pub(super) struct Claims {
    leader: Claim,
    refresh: Claim,
}

impl Claims {
    pub(super) fn new(tab: u64, lock_patience_ms: u64) -> Claims {
        let mut leader = Claim::new(tab, LEADER_TTL_MS, Some(LEADER_RENEW_MS));
        leader.want();
        // A refresh ends within the request timeout; its claim outlives that.
        let refresh = Claim::new(tab, lock_patience_ms, None);
        Claims { leader, refresh }
    }

    fn get(&mut self, lock: LockName) -> &mut Claim {
        match lock {
            LockName::Leader => &mut self.leader,
            LockName::Refresh => &mut self.refresh,
        }
    }

    /// When either lock must move on.
    pub(super) fn due(&self) -> Option<Time> {
        [self.leader.due(), self.refresh.due()].into_iter().flatten().min()
    }
}

impl Engine {
    /// This tab has no Web Locks (or was refused one): the tabs elect their
    /// leader and serialize refreshes over their messages from now on.
    pub(super) fn locks_unavailable(&mut self) {
        if self.claims.is_some() {
            return;
        }
        let mut claims = Claims::new(self.tab, self.t.lock_patience_ms());
        if self.refresh.waiting_for_lock() {
            // Waiting for a Web Lock that will not come: claim it instead.
            claims.refresh.want();
        }
        self.claims = Some(claims);
    }

    /// Takes the cross-tab refresh lock: a Web Lock, or a claim.
    pub(super) fn lock_refresh(&mut self) {
        match self.claims.as_mut() {
            Some(c) => c.refresh.want(),
            None => self.out.push_back(Command::AcquireRefreshLock),
        }
    }

    /// Releases the cross-tab refresh lock (a no-op when not held).
    pub(super) fn unlock_refresh(&mut self) {
        match self.claims.as_mut() {
            Some(c) => {
                if c.refresh.release() {
                    self.broadcast(Message::Unclaim { lock: LockName::Refresh });
                }
            }
            None => self.out.push_back(Command::ReleaseRefreshLock),
        }
    }

    /// `pagehide`: the others need not wait for this tab's leader claim to expire.
    pub(super) fn stop_leading(&mut self) {
        let Some(c) = self.claims.as_mut() else { return };
        if c.leader.release() {
            self.broadcast(Message::Unclaim { lock: LockName::Leader });
        }
        self.set_leader(false);
    }

    /// The page is back: it stands for leader again, and a claim it was
    /// making when it slept starts over.
    pub(super) fn claims_resumed(&mut self, now: Time) {
        let Some(c) = self.claims.as_mut() else { return };
        c.leader.want();
        for lock in [LockName::Leader, LockName::Refresh] {
            let Some(c) = self.claims.as_mut() else { return };
            let step = c.get(lock).resume(now);
            self.claim_step(now, lock, step);
        }
    }

    pub(super) fn heard_claim(&mut self, now: Time, from: u64, lock: LockName, held: bool) {
        let Some(c) = self.claims.as_mut() else {
            // With Web Locks: another tab took the refresh lock over.
            if lock == LockName::Refresh && held {
                self.lock_taken_over(now);
            }
            return;
        };
        let step = c.get(lock).heard(now, from, held);
        self.claim_step(now, lock, step);
    }

    pub(super) fn heard_unclaim(&mut self, from: u64, lock: LockName) {
        if let Some(c) = self.claims.as_mut() {
            c.get(lock).heard_release(from);
        }
    }

    /// Moves both locks on at `now`.
    pub(super) fn evaluate_claims(&mut self, now: Time) {
        for lock in [LockName::Leader, LockName::Refresh] {
            let Some(c) = self.claims.as_mut() else { return };
            let claim = c.get(lock);
            if claim.due().is_some_and(|d| d <= now) {
                let step = claim.step(now);
                self.claim_step(now, lock, step);
            }
        }
    }

    fn claim_step(&mut self, now: Time, lock: LockName, step: Step) {
        match step {
            Step::None => {}
            Step::Announce { held } => self.broadcast(Message::Claim { lock, held }),
            Step::Acquired => {
                self.broadcast(Message::Claim { lock, held: true });
                match lock {
                    LockName::Leader => self.set_leader(true),
                    LockName::Refresh => self.refresh_lock_acquired(now),
                }
            }
            Step::Lost => {
                if lock == LockName::Leader {
                    self.set_leader(false);
                }
            }
        }
    }
}
