//! A world of tabs on a virtual clock: N engines, a simulated server, a simulated
//! BroadcastChannel and a simulated cross-tab lock (or, in a world without Web
//! Locks, none: the engines then elect and serialize over their messages).
//! Every command is executed the way the browser driver would, and the
//! invariants are checked at every step.

use std::collections::{BTreeMap, VecDeque};

use crate::core::*;

pub const LATENCY_MS: u64 = 40;
pub const BUS_DELAY_MS: u64 = 1;

/// The server side: a sliding session and rotating tokens.
#[derive(Debug)]
pub struct Server {
    pub session_ms: u64,
    pub token_ttl_ms: u64,
    pub last_touch: Option<Time>,
    pub logged_in: bool,
    /// Issued tokens and when they expire on the server.
    pub tokens: BTreeMap<String, Time>,
    pub issued: u32,
    pub heartbeats: Vec<Time>,
    pub refreshes: Vec<Time>,
    pub logouts: u32,
    /// The next replies are forced to these results (fault injection).
    pub heartbeat_faults: VecDeque<HeartbeatResult>,
    pub refresh_faults: VecDeque<RefreshResult>,
}

impl Server {
    /// The server still has the session at `at`: logged in and touched within its timeout.
    pub fn alive(&self, at: Time) -> bool {
        self.logged_in && self.last_touch.is_some_and(|t| at <= t.after(self.session_ms))
    }

    pub fn login(&mut self, at: Time) -> (String, u64) {
        self.logged_in = true;
        self.last_touch = Some(at);
        self.issue(at)
    }

    fn issue(&mut self, at: Time) -> (String, u64) {
        self.issued += 1;
        let token = format!("tok-{}", self.issued);
        self.tokens.insert(token.clone(), at.after(self.token_ttl_ms));
        (token, self.token_ttl_ms)
    }

    fn heartbeat(&mut self, at: Time) -> HeartbeatResult {
        self.heartbeats.push(at);
        if let Some(f) = self.heartbeat_faults.pop_front() {
            return f;
        }
        if self.alive(at) {
            self.last_touch = Some(at);
            HeartbeatResult::Ok
        } else {
            HeartbeatResult::Rejected
        }
    }

    fn refresh(&mut self, at: Time) -> RefreshResult {
        self.refreshes.push(at);
        if let Some(f) = self.refresh_faults.pop_front() {
            return f;
        }
        if !self.logged_in {
            return RefreshResult::Rejected;
        }
        let (token, ms) = self.issue(at);
        RefreshResult::Ok { token, expires_in_ms: ms }
    }
}

#[derive(Debug)]
enum Delivery {
    Heartbeat(HeartbeatResult),
    Refresh(RefreshResult),
    /// A broadcast from tab `from`.
    Message {
        from: usize,
        text: String,
    },
    LockGranted,
    /// The browser tells a tab its leader lock was taken over.
    Leadership(bool),
    Garbage(String),
    /// The browser freed the Web Lock of life of the tab with this id.
    TabGone(u64),
}

/// One tab: its engine and what the driver would track for it.
#[derive(Debug)]
pub struct Tab {
    pub engine: Engine,
    pub events: Vec<(Time, Event)>,
    pub listening: bool,
    pub open: bool,
    /// The browser froze the page: no timer fires, nothing is delivered until it thaws.
    pub frozen: bool,
    pub refresh_in_flight: bool,
    pub heartbeat_sent: Vec<Time>,
    pub resolved: u32,
    /// The token the last resolution answered the waiters with.
    pub resolved_with: Option<String>,
    pub broadcasts: Vec<String>,
    pub logout_calls: u32,
}

impl Tab {
    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| pred(e)).count()
    }
}

/// A heartbeat rule to hold the engine to at every step: when the heartbeat is
/// due for this engine, given when its last one was sent and whether one is in flight.
pub type HeartbeatOracle = fn(&Engine, Option<Time>, bool) -> Option<Time>;

pub struct World {
    pub now: Time,
    pub tabs: Vec<Tab>,
    pub server: Server,
    pub lock_holder: Option<usize>,
    lock_queue: VecDeque<usize>,
    /// The browser has Web Locks: the harness grants the locks and moves leadership.
    pub web_locks: bool,
    /// Locks taken over (`StealRefreshLock`, `StealLeadership`).
    pub steals: u32,
    /// Which tab watches which tab id's Web Lock of life (`Command::WatchTab`).
    watches: std::collections::BTreeSet<(usize, u64)>,
    /// When the last refresh request reached the server and when its reply
    /// (and the rotated cookie) came back: the next may not reach the server before then.
    last_refresh_at_server: Option<(usize, Time)>,
    pending: Vec<(Time, usize, Delivery)>,
    /// Timer firings are this late (background throttling, sleep).
    pub timer_lateness_ms: u64,
    pub config: Config,
    pub steps: u64,
    /// When set, every tab must ping exactly when this rule says so.
    pub heartbeat_oracle: Option<HeartbeatOracle>,
    /// When tab `.0` last heard tab `.1` announce holds, for the leases not
    /// yet released: the protocol's view, kept apart from the engines'.
    pub holds_heard: BTreeMap<(usize, usize), Time>,
    /// Every logout a tab told the others of, with its cause: what a remote
    /// logout event must match.
    pub logouts_told: Vec<(usize, Reason)>,
    /// Tabs whose token source cannot refresh (a library that keeps its
    /// tokens per tab, opened before the sign-in): their refresh answers
    /// [`RefreshResult::Elsewhere`] without a request.
    pub cannot_refresh: std::collections::BTreeSet<usize>,
    /// Which tab sent each refresh that reached the server.
    pub refreshed_by: Vec<usize>,
}

pub fn token_config() -> Config {
    Config {
        refresh_url: Some("/api/auth/refresh".into()),
        logout_url: Some("/api/auth/logout".into()),
        idle_timeout_ms: Some(10 * 60_000),
        warning_ms: Some(60_000),
        refresh_lead_ms: 30_000,
        ..Config::default()
    }
}

pub fn cookie_config() -> Config {
    Config {
        keepalive_url: Some("/api/keepalive".into()),
        logout_url: Some("/api/auth/logout".into()),
        session_timeout_ms: Some(20 * 60_000),
        idle_timeout_ms: Some(15 * 60_000),
        warning_ms: Some(60_000),
        ..Config::default()
    }
}

impl World {
    pub fn new(config: Config, tabs: usize) -> World {
        World::with_locks(config, tabs, true)
    }

    /// A world whose browser has no Web Locks: each tab is told so when it
    /// opens, and nothing but their messages elects a leader.
    pub fn without_web_locks(config: Config, tabs: usize) -> World {
        World::with_locks(config, tabs, false)
    }

    fn with_locks(config: Config, tabs: usize, web_locks: bool) -> World {
        let session_ms = config.session_timeout_ms.unwrap_or(20 * 60_000);
        let mut w = World {
            now: Time(1_700_000_000_000),
            tabs: Vec::new(),
            server: Server {
                session_ms,
                token_ttl_ms: 5 * 60_000,
                last_touch: None,
                logged_in: false,
                tokens: BTreeMap::new(),
                issued: 0,
                heartbeats: Vec::new(),
                refreshes: Vec::new(),
                logouts: 0,
                heartbeat_faults: VecDeque::new(),
                refresh_faults: VecDeque::new(),
            },
            lock_holder: None,
            lock_queue: VecDeque::new(),
            web_locks: true,
            steals: 0,
            watches: Default::default(),
            last_refresh_at_server: None,
            pending: Vec::new(),
            timer_lateness_ms: 0,
            config,
            steps: 0,
            heartbeat_oracle: None,
            holds_heard: BTreeMap::new(),
            logouts_told: Vec::new(),
            cannot_refresh: Default::default(),
            refreshed_by: Vec::new(),
        };
        w.web_locks = web_locks;
        for _ in 0..tabs {
            w.open_tab();
        }
        if web_locks {
            w.set_leader(0);
        }
        // Let the new tabs settle their restore (no sibling has a session yet).
        w.advance(1_000);
        w.server.refreshes.clear();
        w.refreshed_by.clear();
        w
    }

    pub fn open_tab(&mut self) -> usize {
        let i = self.tabs.len();
        let engine = Engine::new(&self.config, 100 + i as u64, self.now).expect("valid config");
        self.tabs.push(Tab {
            engine,
            events: Vec::new(),
            listening: false,
            open: true,
            frozen: false,
            refresh_in_flight: false,
            heartbeat_sent: Vec::new(),
            resolved: 0,
            resolved_with: None,
            broadcasts: Vec::new(),
            logout_calls: 0,
        });
        self.drain(i);
        if !self.web_locks {
            self.input(i, Input::LocksUnavailable);
        }
        i
    }

    /// Closes a tab without warning (a crash, a killed process: no `pagehide`);
    /// the lock and leadership it held go to others (as the browser does), and
    /// what it broadcast and was not yet delivered is lost with it.
    pub fn close_tab(&mut self, i: usize) {
        self.tabs[i].open = false;
        self.pending.retain(|p| !matches!(p.2, Delivery::Message { from, .. } if from == i));
        // A refresh it had out is not waited for: its tab is gone, the browser
        // hands the lock on at once, and no client can know whether the
        // request reached the server (a rotating server's grace period covers it).
        if self.last_refresh_at_server.is_some_and(|(j, _)| j == i) {
            self.last_refresh_at_server = None;
        }
        if self.lock_holder == Some(i) {
            self.release_lock(i);
        }
        self.lock_queue.retain(|&q| q != i);
        // Its Web Lock of life is freed: the tabs queued for it hear at once.
        let id = self.tabs[i].engine.tab();
        let watchers: Vec<usize> = self.watches.iter().filter(|w| w.1 == id).map(|w| w.0).collect();
        for j in watchers {
            self.watches.remove(&(j, id));
            self.pending.push((self.now.after(BUS_DELAY_MS), j, Delivery::TabGone(id)));
        }
        if self.web_locks && self.tabs[i].engine.snapshot(self.now).leader {
            if let Some(next) = (0..self.tabs.len()).find(|&j| self.tabs[j].open) {
                self.set_leader(next);
            }
        }
    }

    /// The browser freezes tab `i` (a background tab, a discarded page on its way).
    pub fn freeze_tab(&mut self, i: usize) {
        self.tabs[i].frozen = true;
    }

    /// The frozen tab runs again: held deliveries arrive, the page is told it resumed.
    pub fn thaw_tab(&mut self, i: usize) {
        self.tabs[i].frozen = false;
        self.input(i, Input::Resumed);
    }

    fn runs(&self, i: usize) -> bool {
        self.tabs[i].open && !self.tabs[i].frozen
    }

    /// The browser moves the leader lock (only where there are Web Locks).
    pub fn set_leader(&mut self, leader: usize) {
        if !self.web_locks {
            return;
        }
        for i in 0..self.tabs.len() {
            if self.tabs[i].open {
                self.input(i, Input::Leadership(i == leader));
            }
        }
    }

    pub fn input(&mut self, i: usize, input: Input) {
        if !self.runs(i) {
            return;
        }
        let now = self.now;
        self.tabs[i].engine.handle(now, input);
        self.drain(i);
    }

    /// Logs in on the server and starts the session in tab `i`, as `login()` does.
    pub fn login(&mut self, i: usize) {
        let now = self.now;
        let (token, ms) = self.server.login(now);
        let token = self.config.refresh_url.as_ref().map(|_| (token, ms));
        self.input(i, Input::SessionStarted { token, sent_at: now });
    }

    /// One minute in which the user works in tab `active` and app traffic in
    /// tab `touching` touches the server (and tells its keeper so) at its start.
    pub fn minute_of_app_traffic(&mut self, active: usize, touching: usize) {
        if self.tabs[active].listening {
            self.input(active, Input::Activity);
        }
        let now = self.now;
        self.server.last_touch = Some(now);
        self.input(touching, Input::ServerTouched(now));
        self.advance(60_000);
    }

    /// Delivers `text` to tab `i` as if from a tab outside the world.
    pub fn garbage(&mut self, i: usize, text: String) {
        if let Some(Envelope { message: Message::Logout { reason, .. }, .. }) = Envelope::decode(&text) {
            self.logouts_told.push((usize::MAX, reason));
        }
        self.pending.push((self.now, i, Delivery::Garbage(text)));
        self.run_pending();
    }

    pub fn get_token(&mut self, i: usize) -> Option<String> {
        let now = self.now;
        self.tabs[i].engine.access_token(now).map(String::from)
    }

    /// Moves the clock forward by `ms`, delivering replies and messages and
    /// firing timers (late by `timer_lateness_ms`) on the way.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now.after(ms);
        let mut guard = 0;
        loop {
            guard += 1;
            if guard > 99_990 {
                let deadlines: Vec<_> = self.tabs.iter().map(|t| (t.open, t.engine.poll_timeout())).collect();
                eprintln!("now {:?} deadlines {deadlines:?} pending {:?}", self.now, self.pending);
                if guard == 99_995 {
                    eprintln!("{:#?}", self.tabs.iter().map(|t| &t.engine).collect::<Vec<_>>());
                }
            }
            assert!(guard < 100_000, "the engines do not settle: a deadline is never consumed");
            let next_delivery = self.pending.iter().filter(|p| !self.tabs[p.1].frozen).map(|p| p.0).min();
            let next_timer = (0..self.tabs.len())
                .filter(|&i| self.runs(i))
                .filter_map(|i| {
                    self.tabs[i].engine.poll_timeout().map(|d| (d.after(self.timer_lateness_ms).max(self.now), i))
                })
                .min();
            let next = [next_delivery, next_timer.map(|t| t.0)].into_iter().flatten().min();
            match next {
                Some(t) if t <= end => {
                    // Overdue items (after a sleep) are handled now: time never runs back.
                    self.now = t.max(self.now);
                    if next_delivery.is_some_and(|d| d <= t) {
                        self.run_pending();
                    } else if let Some((_, i)) = next_timer {
                        let now = self.now;
                        self.tabs[i].engine.handle_timeout(now);
                        self.drain(i);
                    }
                }
                _ => break,
            }
        }
        self.now = end;
    }

    fn run_pending(&mut self) {
        let now = self.now;
        let tabs = &self.tabs;
        let (due, rest): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.0 <= now && !tabs[p.1].frozen);
        self.pending = rest;
        for (_, i, d) in due {
            if !self.tabs[i].open {
                continue;
            }
            match d {
                Delivery::Heartbeat(r) => self.input(i, Input::HeartbeatDone(r)),
                Delivery::Refresh(r) => self.input(i, Input::RefreshDone(r)),
                Delivery::Message { from, text } => {
                    if let Some(Envelope { message: Message::Hold { count }, .. }) = Envelope::decode(&text) {
                        if count > 0 {
                            self.holds_heard.insert((i, from), now);
                        } else {
                            self.holds_heard.remove(&(i, from));
                        }
                    }
                    self.input(i, Input::Message(text.clone()))
                }
                Delivery::Garbage(m) => self.input(i, Input::Message(m.clone())),
                Delivery::LockGranted => self.input(i, Input::RefreshLockAcquired),
                Delivery::Leadership(leader) => self.input(i, Input::Leadership(leader)),
                Delivery::TabGone(tab) => self.input(i, Input::TabGone(tab)),
            }
        }
    }

    fn release_lock(&mut self, i: usize) {
        if self.lock_holder == Some(i) {
            self.lock_holder = self.lock_queue.pop_front();
            if let Some(next) = self.lock_holder {
                // Another tab's lock grant crosses processes, like a message.
                self.pending.push((self.now.after(BUS_DELAY_MS), next, Delivery::LockGranted));
            }
        }
    }

    /// Executes tab `i`'s commands as the browser driver would, checking the
    /// invariants that concern each command as it is issued.
    fn drain(&mut self, i: usize) {
        self.steps += 1;
        let now = self.now;
        let mut pinged = false;
        while let Some(c) = self.tabs[i].engine.poll_command() {
            match c {
                Command::Listen(on) => {
                    assert_ne!(self.tabs[i].listening, on, "listen toggled to the state it had");
                    self.tabs[i].listening = on;
                }
                Command::SendHeartbeat => {
                    let s = self.tabs[i].engine.snapshot(now);
                    assert!(s.authenticated, "heartbeat while logged out");
                    assert!(!s.idle, "heartbeat while idle");
                    assert!(s.online, "heartbeat while offline");
                    assert!(s.leader, "heartbeat from a tab that is not the leader");
                    assert!(s.idle_at.map_or(true, |idle_at| now < idle_at), "heartbeat after the idle deadline");
                    if let (Some(&last), Some(min)) = (self.tabs[i].heartbeat_sent.last(), self.min_heartbeat_ms()) {
                        assert!(now.since(last) >= min, "heartbeats {} ms apart, minimum {}", now.since(last), min);
                    }
                    self.tabs[i].heartbeat_sent.push(now);
                    pinged = true;
                    let arrives = now.after(LATENCY_MS / 2);
                    let r = self.server.heartbeat(arrives);
                    self.pending.push((now.after(LATENCY_MS), i, Delivery::Heartbeat(r)));
                }
                Command::AcquireRefreshLock => {
                    assert!(self.web_locks, "a Web Lock asked for in a browser without them");
                    assert!(!self.tabs[i].refresh_in_flight, "a second refresh started in one tab");
                    self.tabs[i].refresh_in_flight = true;
                    if self.lock_holder.is_none() {
                        self.lock_holder = Some(i);
                        self.pending.push((now, i, Delivery::LockGranted));
                    } else {
                        self.lock_queue.push_back(i);
                    }
                }
                Command::SendRefresh if self.cannot_refresh.contains(&i) => {
                    self.pending.push((now, i, Delivery::Refresh(RefreshResult::Elsewhere)));
                }
                Command::SendRefresh => {
                    if self.web_locks {
                        assert_eq!(self.lock_holder, Some(i), "refresh sent without holding the cross-tab lock");
                    }
                    // A rotating refresh token is spent twice when a refresh
                    // reaches the server before the previous reply brought the
                    // rotated cookie back.
                    if let Some((j, back_at)) = self.last_refresh_at_server {
                        assert!(
                            now >= back_at,
                            "tab {i} refreshes at {now:?} while tab {j}'s refresh is out until {back_at:?}"
                        );
                    }
                    self.last_refresh_at_server = Some((i, now.after(LATENCY_MS)));
                    self.refreshed_by.push(i);
                    let r = self.server.refresh(now.after(LATENCY_MS / 2));
                    self.pending.push((now.after(LATENCY_MS), i, Delivery::Refresh(r)));
                }
                Command::StealRefreshLock => {
                    assert!(self.web_locks, "a Web Lock taken over in a browser without them");
                    assert!(self.tabs[i].refresh_in_flight, "a lock taken over by a tab that did not ask for it");
                    self.steals += 1;
                    // The holder loses it; the queue goes on behind the new holder.
                    self.lock_queue.retain(|&q| q != i);
                    self.lock_holder = Some(i);
                    self.pending.push((now, i, Delivery::LockGranted));
                }
                Command::StealLeadership => {
                    assert!(self.web_locks, "a Web Lock taken over in a browser without them");
                    assert!(!self.tabs[i].engine.snapshot(now).leader, "the leader took its own lock over");
                    self.steals += 1;
                    // The old leader hears of it when it runs again (a frozen one later).
                    for j in 0..self.tabs.len() {
                        let leader = j == i;
                        if self.tabs[j].open && (leader || self.tabs[j].engine.snapshot(now).leader) {
                            self.pending.push((now.after(BUS_DELAY_MS), j, Delivery::Leadership(leader)));
                        }
                    }
                }
                Command::ReleaseRefreshLock => {
                    assert!(self.web_locks, "a Web Lock released in a browser without them");
                    // Every flight ends with exactly one release, sent or not.
                    self.tabs[i].refresh_in_flight = false;
                    self.release_lock(i);
                }
                Command::WatchTab(tab) => {
                    assert!(self.web_locks, "a Web Lock watched in a browser without them");
                    assert_ne!(tab, self.tabs[i].engine.tab(), "a tab watches itself");
                    self.watches.insert((i, tab));
                }
                Command::CallLogout => {
                    self.tabs[i].logout_calls += 1;
                    self.server.logouts += 1;
                    self.server.logged_in = false;
                }
                Command::Broadcast(envelope) => {
                    // Sent as the driver sends it: the wire text, which the receivers decode.
                    let m = envelope.encode();
                    if let Message::Logout { reason, .. } = envelope.message {
                        self.logouts_told.push((i, reason));
                    }
                    self.tabs[i].broadcasts.push(m.clone());
                    for j in 0..self.tabs.len() {
                        if j != i && self.tabs[j].open {
                            let text = m.clone();
                            self.pending.push((now.after(BUS_DELAY_MS), j, Delivery::Message { from: i, text }));
                        }
                    }
                }
                Command::Emit(e) => {
                    // The cause of a logout is the one decided where it began:
                    // told to the others by this tab, or heard from another.
                    if let Event::Logout { reason, remote } = e {
                        let told_by = |t: &(usize, Reason)| t.1 == reason && (t.0 == i) != remote;
                        assert!(
                            self.logouts_told.iter().any(told_by),
                            "tab {i} logged out ({reason:?}, remote {remote}) but no tab told that cause: {:?}",
                            self.logouts_told
                        );
                    }
                    self.tabs[i].events.push((now, e));
                }
                Command::ResolveTokenWaiters(token) => {
                    // The token travels with the command: the one the engine
                    // holds as valid once the step is done, or none.
                    assert_eq!(
                        token.as_deref(),
                        self.tabs[i].engine.access_token(now),
                        "tab {i} answered its token waiters with another token than it holds"
                    );
                    self.tabs[i].resolved += 1;
                    self.tabs[i].resolved_with = token;
                }
            }
        }
        self.check_tab(i);
        if let Some(oracle) = self.heartbeat_oracle {
            self.check_heartbeat(i, oracle, pinged);
        }
    }

    /// The engine pinged in this step exactly if the oracle says a ping was due,
    /// and otherwise schedules its next ping where the oracle does.
    fn check_heartbeat(&self, i: usize, oracle: HeartbeatOracle, pinged: bool) {
        let now = self.now;
        let tab = &self.tabs[i];
        let e = &tab.engine;
        if pinged {
            // As the engine stood when it decided: nothing in flight, the previous ping the last one.
            let previous = tab.heartbeat_sent.len().checked_sub(2).map(|k| tab.heartbeat_sent[k]);
            let due = oracle(e, previous, false);
            assert!(due.is_some_and(|d| d <= now), "tab {i} pinged at {now:?}, the oracle had it due at {due:?}");
        } else {
            let (_, sent_at, in_flight) = e.heartbeat.inspect();
            let due = oracle(e, sent_at, in_flight);
            assert!(due.map_or(true, |d| d > now), "tab {i} did not ping at {now:?}, the oracle had it due at {due:?}");
            assert_eq!(e.heartbeat_due(), due, "tab {i} schedules its next ping elsewhere than the oracle");
        }
    }

    fn min_heartbeat_ms(&self) -> Option<u64> {
        self.config.timing().ok()?.heartbeat.map(|h| h.min_interval_ms)
    }

    /// Invariants that hold after every step.
    fn check_tab(&self, i: usize) {
        let now = self.now;
        let tab = &self.tabs[i];
        let s = tab.engine.snapshot(now);
        if let Some(token) = tab.engine.access_token(now) {
            let exp = self.server.tokens.get(token).copied();
            assert!(
                exp.is_some_and(|e| e > now),
                "tab {i} hands out a token the server considers expired: {token} at {now:?}, server {:?}, tab {:?}",
                self.server.tokens,
                s
            );
            assert!(s.authenticated && !s.idle);
        }
        if let Some(abs) = s.absolute_at {
            assert!(!s.authenticated || now < abs, "tab {i} alive past its absolute timeout");
        }
        if let Some(idle_at) = s.idle_at {
            assert!(!s.authenticated || s.idle || now < idle_at, "tab {i} alive past its idle timeout");
        }
        if !s.authenticated {
            assert!(!tab.listening, "tab {i} listens for activity while logged out");
        }
        if s.authenticated && s.holds > 0 {
            assert!(s.idle_at.is_none() && !s.idle, "tab {i} heads for idle while {} holds are active", s.holds);
            assert!(!tab.engine.session().is_some_and(|x| x.idle_warned), "tab {i} warns of idle under a hold");
        }
    }
}
