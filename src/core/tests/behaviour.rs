//! One test per behaviour the engine promises, on the virtual clock.

use super::harness::*;
use crate::core::*;

const MIN: u64 = 60_000;

/// A logout decided in this tab.
fn local_logout(reason: Reason) -> Event {
    Event::Logout { reason, remote: false }
}

/// A logout that another tab decided and this one followed.
fn remote_logout(reason: Reason) -> Event {
    Event::Logout { reason, remote: true }
}

fn is_logout(r: Reason) -> impl Fn(&Event) -> bool {
    move |e| *e == local_logout(r)
}

fn is_remote_logout(r: Reason) -> impl Fn(&Event) -> bool {
    move |e| *e == remote_logout(r)
}

fn warnings(tab: &Tab) -> Vec<(Time, Event)> {
    tab.events.iter().filter(|(_, e)| matches!(e, Event::Warning { .. })).cloned().collect()
}

/// Feeds activity the way the driver does: only while the listeners are attached.
fn active_for(w: &mut World, tab: usize, ms: u64, every_ms: u64) -> u32 {
    let mut seen = 0;
    let end = w.now.after(ms);
    while w.now < end {
        if w.tabs[tab].listening {
            w.input(tab, Input::Activity);
            seen += 1;
        }
        w.advance(every_ms);
    }
    seen
}

// ---- 1. activity -------------------------------------------------------------

#[test]
fn listeners_detach_after_one_activity_and_return_after_one_sample() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    assert!(w.tabs[0].listening, "a live session listens for activity");
    w.input(0, Input::Activity);
    assert!(!w.tabs[0].listening, "after one activity the listeners are detached");
    w.advance(999);
    assert!(!w.tabs[0].listening);
    w.advance(1);
    assert!(w.tabs[0].listening, "re-attached one sampling period (1 s) later");
}

#[test]
fn hot_event_stream_reaches_the_engine_once_per_sample() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    // A mousemove every 10 ms for a minute: 6000 events, of which the engine
    // sees only those arriving while listeners are attached.
    let seen = active_for(&mut w, 0, MIN, 10);
    assert!(seen <= 61, "engine saw {seen} of 6000 events");
    assert!(seen >= 55, "engine saw only {seen} events: activity is being lost");
}

#[test]
fn logged_out_tab_does_not_listen() {
    let mut w = World::new(token_config(), 1);
    assert!(!w.tabs[0].listening);
    w.login(0);
    w.input(0, Input::Logout);
    assert!(!w.tabs[0].listening);
}

// ---- 2. idle and warning -----------------------------------------------------

#[test]
fn warning_comes_warning_ms_before_the_idle_logout() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let login_at = w.now;
    w.advance(11 * MIN);
    let warns = warnings(&w.tabs[0]);
    assert_eq!(warns.len(), 1);
    assert_eq!(warns[0].0, login_at.after(9 * MIN));
    assert_eq!(warns[0].1, Event::Warning { cause: Cause::Idle, remaining_ms: MIN });
    assert_eq!(w.tabs[0].count(|e| *e == Event::Timeout(Cause::Idle)), 1);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Idle)), 1);
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated);
    let logout_at = w.tabs[0].events.iter().find(|(_, e)| *e == local_logout(Reason::Idle)).map(|x| x.0);
    assert_eq!(logout_at, Some(login_at.after(10 * MIN)));
    assert_eq!(w.tabs[0].logout_calls, 1, "the server is told");
}

#[test]
fn warning_countdown_is_in_the_state() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.advance(9 * MIN + 20_000);
    assert_eq!(w.tabs[0].engine.snapshot(w.now).warning_remaining_ms, Some(40_000));
}

#[test]
fn stay_signed_in_resets_the_idle_deadline() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.advance(9 * MIN + 30_000);
    assert_eq!(warnings(&w.tabs[0]).len(), 1);
    w.input(0, Input::StaySignedIn);
    assert_eq!(w.tabs[0].events.last().map(|e| e.1), Some(Event::Activity), "the warning is withdrawn");
    assert_eq!(w.tabs[0].engine.snapshot(w.now).warning_remaining_ms, None);
    w.advance(9 * MIN);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated, "idle deadline moved to 10 min after stay-signed-in");
    w.advance(2 * MIN);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Idle)), 1);
}

#[test]
fn activity_during_the_warning_does_not_dismiss_it() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.advance(9 * MIN + 10_000);
    assert!(!w.tabs[0].listening, "listeners are off while the warning is up");
    w.input(0, Input::Activity); // a late event that was already queued
    w.advance(MIN);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Idle)), 1);
}

#[test]
fn without_logout_on_idle_only_an_idle_event_and_activity_resumes() {
    let mut w = World::new(Config { logout_on_idle: false, ..token_config() }, 1);
    w.login(0);
    w.advance(10 * MIN);
    assert_eq!(w.tabs[0].count(|e| *e == Event::Idle), 1);
    assert_eq!(w.tabs[0].count(|e| matches!(e, Event::Logout { .. })), 0);
    let s = w.tabs[0].engine.snapshot(w.now);
    assert!(s.authenticated && s.idle);
    assert!(w.tabs[0].listening, "an idle session listens for the user's return");
    assert_eq!(w.get_token(0), None, "an idle session hands out no token");
    w.input(0, Input::Activity);
    assert_eq!(w.tabs[0].events.last().map(|e| e.1), Some(Event::Activity));
    assert!(!w.tabs[0].engine.snapshot(w.now).idle);
}

#[test]
fn activity_in_any_tab_keeps_every_tab_alive() {
    let mut w = World::new(token_config(), 3);
    w.login(0);
    w.advance(10);
    active_for(&mut w, 2, 30 * MIN, 20_000);
    for i in 0..3 {
        let s = w.tabs[i].engine.snapshot(w.now);
        assert!(s.authenticated, "tab {i} logged out although the user works in tab 2");
        assert_eq!(warnings(&w.tabs[i]).len(), 0, "tab {i} warned");
    }
}

#[test]
fn activity_broadcasts_are_throttled_per_tab() {
    let mut w = World::new(token_config(), 2);
    w.login(0);
    w.advance(10);
    let before = w.tabs[0].broadcasts.len();
    active_for(&mut w, 0, MIN, 10);
    let sent = w.tabs[0].broadcasts.len() - before;
    // idle 10 min: at most one activity message per 5 s.
    assert!((10..=13).contains(&sent), "{sent} activity broadcasts in a minute");
}

// ---- 3. heartbeat ----------------------------------------------------------

#[test]
fn heartbeat_never_sent_while_the_user_is_idle() {
    let mut w = World::new(cookie_config(), 1);
    w.login(0);
    w.advance(60 * MIN);
    assert!(w.tabs[0].heartbeat_sent.is_empty(), "pinged without activity: {:?}", w.tabs[0].heartbeat_sent);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Idle)), 1);
}

#[test]
fn heartbeat_keeps_the_server_session_alive_for_an_active_user() {
    let mut w = World::new(cookie_config(), 1);
    w.login(0);
    let mut lapsed = false;
    let end = w.now.after(120 * MIN);
    while w.now < end {
        if w.tabs[0].listening {
            w.input(0, Input::Activity);
        }
        w.advance(30_000);
        lapsed |= !w.server.last_touch.is_some_and(|t| w.now <= t.after(w.server.session_ms));
    }
    assert!(!lapsed, "the server session lapsed while the user was active");
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated);
    // session 20 min, margin 90 s: one ping per 18.5 min, not one per minute.
    let n = w.tabs[0].heartbeat_sent.len();
    assert!((6..=7).contains(&n), "{n} heartbeats in two hours");
}

#[test]
fn an_idle_window_longer_than_the_server_timeout_keeps_pinging_while_present_then_lets_it_lapse() {
    // Seed 001's example: the server forgets a session after 5 minutes, the
    // user counts as present for 10 minutes after their last input.
    let config = Config {
        session_timeout_ms: Some(5 * MIN),
        idle_timeout_ms: Some(10 * MIN),
        logout_on_idle: false,
        ..cookie_config()
    };
    let mut w = World::new(config, 2);
    w.login(0);
    let login_at = w.now;
    w.advance(MIN);
    w.input(1, Input::Activity); // the user's last input, in the other tab
    let idle_at = w.now.after(10 * MIN);
    while w.now < idle_at {
        w.advance(1_000);
        assert!(
            w.server.alive(w.now.min(idle_at)),
            "the server session lapsed at {:?} while the user was present",
            w.now
        );
    }
    // Margin 75 s: a ping 3 min 45 s after each touch while the user will
    // still be present then: at 3:45 and 7:30, not at 11:15 (idle from 11:00).
    // (Tab 1 dates the login's touch from when it heard of it, 1 ms later, and shares that.)
    let touched = login_at.after(1);
    let pings = [touched.after(225_000), touched.after(450_000)];
    assert_eq!(w.tabs[0].heartbeat_sent, pings, "pinged without new activity, only while present");
    for tab in &w.tabs {
        assert_eq!(tab.events.iter().find(|(_, e)| *e == Event::Idle).map(|x| x.0), Some(idle_at));
    }
    w.advance(60 * MIN);
    assert_eq!(w.tabs[0].heartbeat_sent, pings, "no ping once the user is idle");
    assert!(!w.server.alive(w.now), "the server session lapses after the user left");
    assert!(w.tabs.iter().all(|t| t.heartbeat_sent.len() <= 2 && t.engine.snapshot(w.now).idle));
}

/// An hour in which the user works in tab `active` while app traffic in tab
/// `touching` touches the server every minute.
fn an_hour_of_app_traffic(w: &mut World, active: usize, touching: usize) {
    for _ in 0..60 {
        w.minute_of_app_traffic(active, touching);
    }
}

#[test]
fn app_requests_that_touch_the_server_make_heartbeats_unnecessary() {
    let mut w = World::new(cookie_config(), 1);
    w.login(0);
    an_hour_of_app_traffic(&mut w, 0, 0);
    assert!(w.tabs[0].heartbeat_sent.is_empty(), "{} heartbeats despite app traffic", w.tabs[0].heartbeat_sent.len());
}

#[test]
fn touches_in_another_tab_reach_the_leader() {
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    an_hour_of_app_traffic(&mut w, 1, 1);
    assert!(w.tabs[0].heartbeat_sent.is_empty() && w.tabs[1].heartbeat_sent.is_empty());
}

#[test]
fn a_touch_without_activity_in_another_tab_suppresses_the_leaders_heartbeat() {
    // The user works in the leader tab; the other tab's socket or axios traffic
    // touches the server without any input there.
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    w.advance(10);
    let touches_told = |w: &World| w.tabs[1].broadcasts.iter().filter(|m| m.contains(" A ")).count();
    an_hour_of_app_traffic(&mut w, 0, 1);
    assert!(w.tabs[0].heartbeat_sent.is_empty(), "the leader pinged: {:?}", w.tabs[0].heartbeat_sent);
    assert!(touches_told(&w) >= 59, "tab 1 shared only {} of its 60 touches", touches_told(&w));
    assert!(w.tabs[1].count(|e| matches!(e, Event::Logout { .. })) == 0);
}

#[test]
fn only_the_leader_pings_and_activity_in_any_tab_counts() {
    let mut w = World::new(cookie_config(), 3);
    w.login(0);
    w.advance(10);
    active_for(&mut w, 2, 60 * MIN, 30_000);
    assert!(!w.tabs[0].heartbeat_sent.is_empty(), "the leader pinged for activity in tab 2");
    assert!(w.tabs[1].heartbeat_sent.is_empty() && w.tabs[2].heartbeat_sent.is_empty());
    assert!(w.tabs.iter().all(|t| t.engine.snapshot(w.now).authenticated));
}

#[test]
fn leadership_moves_when_the_leader_tab_closes() {
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    w.advance(10);
    w.close_tab(0);
    active_for(&mut w, 1, 60 * MIN, 30_000);
    assert!(!w.tabs[1].heartbeat_sent.is_empty());
    assert!(w.tabs[1].engine.snapshot(w.now).authenticated);
    assert_eq!(w.tabs[1].count(|e| *e == Event::Leader(true)), 1);
}

#[test]
fn heartbeat_rejected_logs_out_with_reason_revoked() {
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    w.advance(10);
    w.server.logged_in = false; // the server dropped the session
    active_for(&mut w, 0, 20 * MIN, 30_000);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Revoked)), 1);
    assert_eq!(w.tabs[1].count(is_remote_logout(Reason::Revoked)), 1, "the other tab follows, with the cause");
}

#[test]
fn heartbeat_transient_failures_retry_with_bounded_backoff() {
    let mut w = World::new(Config { min_heartbeat_interval_ms: Some(500), ..cookie_config() }, 1);
    w.login(0);
    for _ in 0..4 {
        w.server.heartbeat_faults.push_back(HeartbeatResult::Failed(Failure::Server));
    }
    active_for(&mut w, 0, 25 * MIN, 30_000);
    let sent = &w.tabs[0].heartbeat_sent;
    assert!(sent.len() >= 5, "retried until success: {}", sent.len());
    let gaps: Vec<u64> = sent.windows(2).take(4).map(|p| p[1].since(p[0])).collect();
    assert!(gaps.iter().all(|&g| g <= 61_000), "backoff bounded: {gaps:?}");
    assert!(gaps[2] > gaps[0], "backoff grows: {gaps:?}");
    assert_eq!(w.tabs[0].count(|e| *e == Event::Error(Operation::Heartbeat, Failure::Server)), 4);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated, "transient failures do not log out");
}

#[test]
fn rate_limited_heartbeat_waits_for_retry_after() {
    let mut w = World::new(cookie_config(), 1);
    w.login(0);
    w.server.heartbeat_faults.push_back(HeartbeatResult::Failed(Failure::RateLimited(Some(45_000))));
    active_for(&mut w, 0, 20 * MIN, 5_000);
    let sent = &w.tabs[0].heartbeat_sent;
    assert!(sent.len() >= 2);
    assert!(sent[1].since(sent[0]) >= 45_000, "retried after {} ms", sent[1].since(sent[0]));
}

#[test]
fn no_heartbeat_while_offline_and_one_at_once_when_back_online() {
    let mut w = World::new(cookie_config(), 1);
    w.login(0);
    w.advance(1_000);
    w.input(0, Input::Online(false));
    active_for(&mut w, 0, 19 * MIN, MIN);
    assert!(w.tabs[0].heartbeat_sent.is_empty());
    w.input(0, Input::Online(true));
    assert_eq!(w.tabs[0].heartbeat_sent, vec![w.now], "pinged the moment the browser came back online");
}

// ---- 4. token ----------------------------------------------------------------

#[test]
fn token_expiry_is_counted_from_local_arrival_not_server_clock() {
    let mut w = World::new(token_config(), 1);
    let t0 = w.now;
    w.server.tokens.insert("abc".into(), t0.after(120_000));
    let now = w.now;
    w.input(0, Input::SessionStarted { token: Some(("abc".into(), 120_000)), sent_at: now });
    assert_eq!(w.tabs[0].engine.snapshot(w.now).token_expires_at, Some(t0.after(120_000)));
}

#[test]
fn a_login_tokens_lifetime_counts_from_when_the_login_left_and_under_a_second_is_refused() {
    let mut w = World::new(token_config(), 1);
    let sent_at = w.now;
    w.advance(500);
    w.server.tokens.insert("slow".into(), sent_at.after(120_000));
    w.input(0, Input::SessionStarted { token: Some(("slow".into(), 120_000)), sent_at });
    // The reply took 500 ms: the token expires 120 s after the send, not after the reply.
    assert_eq!(w.tabs[0].engine.snapshot(w.now).token_expires_at, Some(sent_at.after(120_000)));
    w.input(0, Input::Logout);
    let now = w.now;
    w.input(0, Input::SessionStarted { token: Some(("brief".into(), 999)), sent_at: now });
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated, "a token under MIN_TOKEN_LIFETIME_MS starts no session");
}

#[test]
fn the_storage_channel_form_of_a_message_never_carries_a_token() {
    let token = SharedToken { expires_at: Time(9), value: "secret".into() };
    let at = Time(5);
    let strip = |message| Envelope { from: 7, message }.without_token().map(|e| e.encode());
    assert_eq!(strip(Message::Token { started_at: at, token: token.clone() }), None);
    let login = strip(Message::Login { started_at: at, token: Some(token.clone()) });
    assert_eq!(login, Some(Envelope { from: 7, message: Message::Login { started_at: at, token: None } }.encode()));
    let session = strip(Message::Session { started_at: at, active_at: Some(at), token: Some(token) });
    let notice = Message::Session { started_at: at, active_at: Some(at), token: None };
    assert_eq!(session, Some(Envelope { from: 7, message: notice }.encode()));
    let logout = Message::Logout { reason: Reason::Idle, at: Some(at) };
    assert_eq!(strip(logout.clone()), Some(Envelope { from: 7, message: logout }.encode()));
}

#[test]
fn refresh_happens_refresh_lead_before_expiry_for_an_active_user() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let t0 = w.now;
    active_for(&mut w, 0, 4 * MIN + 31_000, 10_000);
    assert_eq!(w.server.refreshes.len(), 1);
    // The token's life counts from when login was handled (t0).
    assert_eq!(w.server.refreshes[0], t0.after(5 * MIN - 30_000 + LATENCY_MS / 2));
    assert_eq!(w.tabs[0].count(|e| matches!(e, Event::Refresh { .. })), 1);
    assert_eq!(w.get_token(0).as_deref(), Some("tok-2"));
}

#[test]
fn a_long_active_session_refreshes_steadily_and_always_has_a_valid_token() {
    let mut w = World::new(token_config(), 2);
    w.login(0);
    w.advance(10);
    let end = w.now.after(120 * MIN);
    while w.now < end {
        if w.tabs[1].listening {
            w.input(1, Input::Activity);
        }
        assert!(w.get_token(0).is_some() && w.get_token(1).is_some(), "a tab had no valid token at {:?}", w.now);
        w.advance(20_000);
    }
    // 5 min tokens refreshed 30 s early: one per 4.5 min, by one tab only.
    let n = w.server.refreshes.len();
    assert!((26..=28).contains(&n), "{n} refreshes in two hours");
}

#[test]
fn an_idle_users_token_is_not_refreshed() {
    let mut w = World::new(Config { logout_on_idle: false, idle_timeout_ms: Some(3 * MIN), ..token_config() }, 1);
    w.login(0);
    w.advance(30 * MIN);
    assert!(w.server.refreshes.is_empty(), "refreshed for an idle user");
    assert_eq!(w.get_token(0), None);
    w.input(0, Input::Activity);
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), 1, "the returning user gets a fresh token at once");
    assert!(w.get_token(0).is_some());
}

#[test]
fn concurrent_requests_for_an_expired_token_share_one_refresh() {
    let mut w = World::new(Config { logout_on_idle: false, ..token_config() }, 1);
    w.login(0);
    w.input(0, Input::Online(false));
    w.advance(5 * MIN); // token expired while offline
    w.input(0, Input::Online(true));
    w.server.refreshes.clear();
    w.server.refresh_faults.push_back(RefreshResult::Ok { token: "tok-x".into(), expires_in_ms: 300_000 });
    w.server.tokens.insert("tok-x".into(), w.now.after(300_000));
    for _ in 0..20 {
        w.input(0, Input::TokenWanted);
    }
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), 1, "exactly one refresh for 20 waiters");
    assert_eq!(w.tabs[0].resolved, 1, "one resolution answers every waiter");
    assert_eq!(w.get_token(0).as_deref(), Some("tok-x"));
}

#[test]
fn expired_token_is_never_handed_out() {
    let mut w = World::new(token_config(), 1);
    w.server.tokens.insert("short".into(), w.now.after(10_000));
    let now = w.now;
    w.input(0, Input::SessionStarted { token: Some(("short".into(), 10_000)), sent_at: now });
    w.input(0, Input::Online(false));
    assert!(w.get_token(0).is_some());
    w.advance(9_000); // in its last tenth: too close to expiry to send
    assert_eq!(w.get_token(0), None);
    w.advance(5_000);
    assert_eq!(w.get_token(0), None);
}

#[test]
fn transient_refresh_failures_back_off_and_keep_the_current_token() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    for _ in 0..3 {
        w.server.refresh_faults.push_back(RefreshResult::Failed(Failure::Network));
    }
    active_for(&mut w, 0, 4 * MIN + 20_000, 10_000);
    while w.server.refreshes.len() < 3 {
        assert_eq!(w.get_token(0).as_deref(), Some("tok-1"), "the still-valid token is kept");
        w.advance(100);
    }
    let gaps: Vec<u64> = w.server.refreshes.windows(2).map(|p| p[1].since(p[0])).collect();
    assert!(
        gaps[0] >= 500 && gaps[0] <= 1_000 + LATENCY_MS && gaps[1] >= 1_000 && gaps[1] <= 2_000 + LATENCY_MS,
        "{gaps:?}"
    );
    w.advance(10_000);
    assert_eq!(w.server.refreshes.len(), 4);
    assert_eq!(w.get_token(0).as_deref(), Some("tok-2"));
    assert_eq!(w.tabs[0].count(|e| *e == Event::Error(Operation::Refresh, Failure::Network)), 3);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated);
}

#[test]
fn refresh_rejection_logs_out_every_tab_with_reason_revoked() {
    let mut w = World::new(token_config(), 2);
    w.login(0);
    w.server.refresh_faults.push_back(RefreshResult::Rejected);
    active_for(&mut w, 0, 5 * MIN, 10_000);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Revoked)), 1);
    assert_eq!(w.tabs[1].count(is_remote_logout(Reason::Revoked)), 1, "the cause reaches the other tab");
    assert_eq!(w.get_token(0), None);
    assert_eq!(w.get_token(1), None);
}

#[test]
fn malformed_refresh_reply_is_an_error_not_a_logout() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.server.refresh_faults.push_back(RefreshResult::Ok { token: String::new(), expires_in_ms: 300_000 });
    w.server.refresh_faults.push_back(RefreshResult::Ok { token: "x".into(), expires_in_ms: 0 });
    active_for(&mut w, 0, 5 * MIN, 10_000);
    assert_eq!(w.tabs[0].count(|e| *e == Event::Error(Operation::Refresh, Failure::Malformed)), 2);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated);
    assert_eq!(w.server.refreshes.len(), 3, "retried until a good reply");
}

#[test]
fn a_401_on_an_app_request_triggers_one_refresh_then_a_new_token() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let rejected = w.get_token(0).unwrap_or_default();
    for _ in 0..5 {
        w.input(0, Input::TokenRejected(rejected.clone()));
        w.input(0, Input::TokenWanted);
    }
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), 1);
    assert_eq!(w.get_token(0).as_deref(), Some("tok-2"));
    // A stale report about the old token changes nothing.
    w.input(0, Input::TokenRejected(rejected.clone()));
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), 1);
}

#[test]
fn a_late_401_for_an_earlier_session_does_not_end_the_current_one() {
    let mut w = World::new(token_config(), 0);
    w.server.refresh_faults.push_back(RefreshResult::Rejected);
    let t = w.open_tab();
    w.advance(300); // no sibling answered: the restore refresh is in flight
    assert_eq!(w.server.refreshes.len(), 1);
    w.login(t); // the app logs in before the slow 401 arrives
    w.advance(1_000);
    assert!(w.tabs[t].engine.snapshot(w.now).authenticated, "the old cookie's 401 ended the new session");
    assert_eq!(w.tabs[t].count(|e| matches!(e, Event::Logout { .. })), 0);
    assert_eq!(w.get_token(t).as_deref(), Some("tok-1"));
}

// ---- which tab refreshes: the last to sign in or refresh, and tabs that cannot ---------

fn refreshers(w: &World) -> Vec<Option<Refresher>> {
    w.tabs.iter().map(|t| t.engine.snapshot(w.now).refresher).collect()
}

/// Keeps the user active in tab `tab` for `ms`, checking that every open
/// tab holds a valid token all along.
fn active_with_tokens(w: &mut World, tab: usize, ms: u64) {
    let end = w.now.after(ms);
    while w.now < end {
        if w.tabs[tab].listening {
            w.input(tab, Input::Activity);
        }
        for i in 0..w.tabs.len() {
            assert!(!w.tabs[i].open || w.get_token(i).is_some(), "tab {i} had no valid token at {:?}", w.now);
        }
        w.advance(10_000);
    }
}

#[test]
fn the_tab_that_signed_in_keeps_refreshing_whichever_tab_leads() {
    let mut w = World::new(token_config(), 3);
    w.login(2);
    w.advance(10);
    active_with_tokens(&mut w, 0, 30 * MIN);
    assert!(w.refreshed_by.len() >= 6, "{} refreshes", w.refreshed_by.len());
    assert!(
        w.refreshed_by.iter().all(|&i| i == 2),
        "refreshed by {:?}, not only by the tab that signed in",
        w.refreshed_by
    );
    let r = refreshers(&w);
    assert_eq!(r, [Some(Refresher::Other), Some(Refresher::Other), Some(Refresher::This)]);
}

#[test]
fn a_tab_that_just_signed_in_is_followed_at_once_and_watched_from_its_first_refresh() {
    // Its login can reach the others before its own request for its lock of
    // life reaches the browser: a watch granted first would take it for gone.
    let mut e = Engine::new(&token_config(), 1, Time(1_000)).expect("valid config");
    let token = SharedToken { expires_at: Time(301_000), value: "t1".into() };
    let heard = |e: &mut Engine, message| {
        e.handle(Time(2_000), Input::Message(Envelope { from: 7, message }.encode()));
        std::iter::from_fn(|| e.poll_command()).filter(|c| matches!(c, Command::WatchTab(7))).count()
    };
    let login = Message::Login { started_at: Time(2_000), token: Some(token.clone()) };
    assert_eq!(heard(&mut e, login), 0, "no watch on a login");
    assert_eq!(e.snapshot(Time(2_000)).refresher, Some(Refresher::Other), "yet it refreshes next");
    let refreshed = SharedToken { expires_at: Time(302_000), value: "t2".into() };
    assert_eq!(
        heard(&mut e, Message::Token { started_at: Time(2_000), token: refreshed }),
        1,
        "watched once it refreshed"
    );
}

#[test]
fn when_the_refreshing_tab_closes_the_leader_refreshes_and_keeps_doing_so() {
    let mut w = World::new(token_config(), 3);
    w.login(1);
    w.advance(10);
    active_with_tokens(&mut w, 0, 10 * MIN);
    assert!(!w.refreshed_by.is_empty() && w.refreshed_by.iter().all(|&i| i == 1));
    w.close_tab(1);
    w.advance(10);
    assert_eq!(refreshers(&w)[0], Some(Refresher::Leader), "its Web Lock of life freed: the leader refreshes");
    let before = w.refreshed_by.len();
    active_with_tokens(&mut w, 0, 20 * MIN);
    let after = &w.refreshed_by[before..];
    assert!(after.len() >= 4 && after.iter().all(|&i| i == 0), "refreshed by {after:?} after tab 1 closed");
    let r = refreshers(&w);
    assert_eq!((r[0], r[2]), (Some(Refresher::This), Some(Refresher::Other)));
}

/// Tab 0 leads and cannot refresh (opened before the sign-in, with a library
/// that keeps its tokens per tab); tab 1 signs in; tab 2 joined later and can.
fn a_tab_that_cannot_refresh(tabs: usize) -> World {
    let mut w = World::new(token_config(), tabs);
    w.cannot_refresh.insert(0);
    w.login(1);
    w.advance(10);
    w
}

#[test]
fn a_tab_that_cannot_refresh_asks_one_that_can_and_the_session_lives() {
    let mut w = a_tab_that_cannot_refresh(3);
    active_with_tokens(&mut w, 0, 5 * MIN);
    // The tab that signed in goes; the leader is now asked to refresh, and cannot.
    w.close_tab(1);
    active_with_tokens(&mut w, 0, 30 * MIN);
    assert_eq!(w.tabs[0].count(|e| matches!(e, Event::Logout { .. })), 0, "the session lives");
    assert!(w.refreshed_by.iter().all(|&i| i != 0), "tab 0 never reached the server");
    assert!(w.refreshed_by.iter().filter(|&&i| i == 2).count() >= 5, "tab 2 refreshes now: {:?}", w.refreshed_by);
    let r = refreshers(&w);
    assert_eq!((r[0], r[2]), (Some(Refresher::Unable), Some(Refresher::This)));
}

#[test]
fn a_401_in_a_tab_that_cannot_refresh_brings_it_a_new_token_from_the_tab_that_can() {
    let mut w = a_tab_that_cannot_refresh(2);
    w.input(1, Input::Activity);
    let rejected = w.get_token(0).expect("tab 0 has the sibling's token");
    // Tab 0 learns it cannot refresh at its first attempt, here a 401's.
    w.input(0, Input::TokenRejected(rejected.clone()));
    w.input(0, Input::TokenWanted);
    w.advance(1_000);
    let token = w.get_token(0);
    assert!(token.is_some() && token != Some(rejected), "tab 0 got a new token");
    assert_eq!(w.tabs[0].resolved, 1);
    assert_eq!(w.tabs[0].resolved_with, token, "its waiter was answered with the new token");
    assert_eq!(w.refreshed_by, [1], "one refresh, by the tab that signed in, at once");
    assert_eq!(refreshers(&w), [Some(Refresher::Unable), Some(Refresher::This)]);
}

#[test]
fn when_no_tab_can_refresh_the_session_ends_revoked_everywhere() {
    let mut w = a_tab_that_cannot_refresh(3);
    w.cannot_refresh.insert(2);
    w.close_tab(1);
    w.advance(6 * MIN);
    for i in [0, 2] {
        assert_eq!(
            w.tabs[i].count(|e| matches!(e, Event::Logout { reason: Reason::Revoked, .. })),
            1,
            "tab {i} logged out, revoked"
        );
        assert!(!w.tabs[i].engine.snapshot(w.now).authenticated);
    }
    assert!(w.refreshed_by.is_empty(), "no tab could reach the server");
    assert_eq!(w.tabs[0].logout_calls + w.tabs[2].logout_calls, 1, "one logout call, from the tab that decided");
}

#[test]
fn a_new_tab_that_cannot_refresh_and_hears_no_sibling_is_signed_out() {
    let mut w = World::new(token_config(), 1);
    w.server.logged_in = true;
    w.cannot_refresh.insert(1);
    let i = w.open_tab();
    w.advance(2_000);
    let s = w.tabs[i].engine.snapshot(w.now);
    assert!(!s.authenticated && !s.restoring, "{s:?}");
    assert!(w.refreshed_by.is_empty());
}

// ---- 5. absolute timeout -------------------------------------------------------

#[test]
fn absolute_timeout_ends_the_session_whatever_the_activity() {
    let mut w = World::new(Config { absolute_timeout_ms: Some(60 * MIN), ..token_config() }, 2);
    w.login(0);
    let t0 = w.now;
    active_for(&mut w, 0, 61 * MIN, 10_000);
    let warn =
        w.tabs[0].events.iter().find(|(_, e)| matches!(e, Event::Warning { cause: Cause::Absolute, .. })).map(|x| x.0);
    assert_eq!(warn, Some(t0.after(59 * MIN)));
    let end = w.tabs[0].events.iter().find(|(_, e)| *e == local_logout(Reason::Absolute)).map(|x| x.0);
    assert_eq!(end, Some(t0.after(60 * MIN)));
    assert!(!w.tabs[1].engine.snapshot(w.now).authenticated);
}

#[test]
fn stay_signed_in_cannot_extend_the_absolute_timeout() {
    let mut w = World::new(Config { absolute_timeout_ms: Some(20 * MIN), ..token_config() }, 1);
    w.login(0);
    let t0 = w.now;
    for _ in 0..20 {
        w.input(0, Input::StaySignedIn);
        w.advance(MIN + 1);
    }
    let end = w.tabs[0].events.iter().find(|(_, e)| *e == local_logout(Reason::Absolute)).map(|x| x.0);
    assert_eq!(end, Some(t0.after(20 * MIN)));
}

// ---- 6. late timers, sleep and wake -----------------------------------------------

#[test]
fn waking_after_the_idle_deadline_logs_out_at_once_without_refreshing() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    // The laptop sleeps: no timer fires for an hour.
    w.now = w.now.after(60 * MIN);
    w.input(0, Input::Resumed);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Idle)), 1);
    assert!(w.server.refreshes.is_empty());
    assert_eq!(w.tabs[0].count(|e| matches!(e, Event::Warning { .. })), 0, "no stale warning after the fact");
}

#[test]
fn waking_with_an_expired_token_refreshes_before_anything_else() {
    let mut w = World::new(Config { idle_timeout_ms: Some(30 * MIN), ..token_config() }, 1);
    w.login(0);
    w.input(0, Input::Activity);
    w.now = w.now.after(8 * MIN); // asleep past the token's expiry, not past idle
    assert_eq!(w.get_token(0), None, "the expired token is not handed out even before the engine notices");
    w.input(0, Input::Resumed);
    let first_command_was_refresh = w.tabs[0].refresh_in_flight;
    assert!(first_command_was_refresh, "refresh started on wake");
    w.advance(100);
    assert_eq!(w.get_token(0).as_deref(), Some("tok-2"));
}

#[test]
fn late_timers_do_not_let_the_server_session_lapse() {
    let mut w = World::new(cookie_config(), 1);
    w.timer_lateness_ms = 60_000; // Chrome's background throttling
    w.login(0);
    let end = w.now.after(90 * MIN);
    while w.now < end {
        if w.tabs[0].listening {
            w.input(0, Input::Activity);
        }
        w.advance(30_000);
        assert!(w.server.last_touch.is_some_and(|t| w.now <= t.after(w.server.session_ms)), "lapsed at {:?}", w.now);
    }
}

// ---- 7. holds (long tasks without input) -----------------------------------------

/// token_config's idle timeout is 10 min: activity broadcasts, and so hold
/// renewals, every 5 s; a peer's lease lasts 15 s.
const RENEWAL_MS: u64 = 5_000;
const LEASE_MS: u64 = 3 * RENEWAL_MS;

fn holds(w: &World, tab: usize) -> u32 {
    w.tabs[tab].engine.snapshot(w.now).holds
}

fn first(tab: &Tab, pred: impl Fn(&Event) -> bool) -> Option<Time> {
    tab.events.iter().find(|(_, e)| pred(e)).map(|x| x.0)
}

fn is_idle_logout(e: &Event) -> bool {
    matches!(e, Event::Logout { reason: Reason::Idle, .. })
}

/// Two tabs signed in, and a hold taken in tab 1 (the follower) at the time returned.
fn hold_in_the_second_of_two_tabs(config: Config) -> (World, Time) {
    hold_in_the_second_tab(World::new(config, 2))
}

fn hold_in_the_second_tab(mut w: World) -> (World, Time) {
    w.login(0);
    w.advance(10);
    w.input(1, Input::Hold);
    let held_at = w.now;
    (w, held_at)
}

#[test]
fn a_hold_keeps_the_user_present_in_every_tab_past_the_idle_timeout() {
    let config = Config { refresh_url: Some("/api/auth/refresh".into()), refresh_lead_ms: 30_000, ..cookie_config() };
    // A video starts in the follower tab; no input anywhere after this.
    let (mut w, _) = hold_in_the_second_of_two_tabs(config);
    let end = w.now.after(120 * MIN);
    while w.now < end {
        w.advance(MIN);
        assert!(w.server.alive(w.now), "the server session lapsed under a hold at {:?}", w.now);
        for i in 0..2 {
            let s = w.tabs[i].engine.snapshot(w.now);
            assert!(s.authenticated && !s.idle && s.idle_at.is_none(), "tab {i}: {s:?}");
            assert_eq!(s.holds, 1, "tab {i} sees the hold");
            assert!(w.get_token(i).is_some(), "tab {i} has no token at {:?}: refreshes stopped", w.now);
        }
    }
    for tab in &w.tabs {
        assert_eq!(warnings(tab), vec![], "no idle warning under a hold");
    }
    // Session 20 min, margin 90 s: the leader pings every 18.5 min, for the hold alone.
    let n = w.tabs[0].heartbeat_sent.len();
    assert!((6..=7).contains(&n), "{n} heartbeats in two hours");
}

#[test]
fn releasing_the_last_hold_starts_the_idle_timeout_from_the_release() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(token_config());
    w.advance(30 * MIN);
    w.input(1, Input::Release);
    let released_at = w.now;
    assert_eq!(holds(&w, 1), 0);
    w.advance(10 * MIN - 1);
    assert!(w.tabs.iter().all(|t| t.engine.snapshot(w.now).authenticated), "logged out before release + idle");
    w.advance(10);
    assert_eq!(first(&w.tabs[1], |e| matches!(e, Event::Warning { .. })), Some(released_at.after(9 * MIN)));
    assert_eq!(first(&w.tabs[1], is_idle_logout), Some(released_at.after(10 * MIN)));
    // Tab 0 heard of the release one bus delay later; the idle logout reaches it then too.
    assert_eq!(first(&w.tabs[0], is_idle_logout), Some(released_at.after(10 * MIN + BUS_DELAY_MS)));
}

#[test]
fn releasing_without_a_hold_is_ignored() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let login_at = w.now;
    w.advance(5 * MIN);
    w.input(0, Input::Release);
    assert_eq!(holds(&w, 0), 0);
    assert_eq!(w.tabs[0].engine.snapshot(w.now).idle_at, Some(login_at.after(10 * MIN)), "the deadline did not move");
    w.input(0, Input::Hold);
    w.input(0, Input::Release);
    w.input(0, Input::Release);
    assert_eq!(holds(&w, 0), 0, "the count never goes below zero");
}

#[test]
fn a_hold_is_renewed_once_per_activity_broadcast_interval_and_released_once() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(token_config());
    w.advance(MIN - 1);
    w.input(1, Input::Release);
    w.advance(MIN);
    let sent: Vec<&String> = w.tabs[1].broadcasts.iter().filter(|m| m.contains(" H ")).collect();
    assert_eq!(sent.len(), 1 + 11 + 1, "announced, renewed every 5 s until the release, released: {sent:?}");
    assert!(sent.last().is_some_and(|m| m.ends_with(" H 0")));
}

#[test]
fn a_holding_tab_that_dies_without_pagehide_stops_holding_when_the_browser_frees_its_web_lock() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(token_config());
    w.advance(30 * MIN + RENEWAL_MS / 2);
    assert_eq!(holds(&w, 0), 1);
    // A crash, or a close whose last words were lost: no message, but the
    // browser frees the tab's Web Lock of life, for which tab 0 is queued.
    w.close_tab(1);
    let closed_at = w.now;
    w.advance(BUS_DELAY_MS);
    let s = w.tabs[0].engine.snapshot(w.now);
    assert_eq!(s.holds, 0, "the hold ended at once, not after the lease");
    assert_eq!(s.idle_at, Some(closed_at.after(BUS_DELAY_MS + 10 * MIN)), "the user counts as present until then");
}

#[test]
fn without_web_locks_a_holding_tab_that_dies_without_pagehide_stops_holding_after_three_intervals() {
    let (mut w, held_at) = hold_in_the_second_tab(World::without_web_locks(token_config(), 2));
    // Closed halfway between two renewals: the last one reached tab 0 one bus delay after it left.
    w.advance(30 * MIN + RENEWAL_MS / 2);
    w.close_tab(1);
    let expiry = held_at.after(30 * MIN + LEASE_MS + BUS_DELAY_MS);
    w.advance(expiry.since(w.now) - 1);
    assert_eq!(holds(&w, 0), 1, "the lease holds until three intervals after its last renewal");
    w.advance(1);
    let s = w.tabs[0].engine.snapshot(w.now);
    assert_eq!(s.holds, 0, "the lease expired");
    assert_eq!(s.idle_at, Some(expiry.after(10 * MIN)), "the user counts as present from the lease's expiry");
    w.advance(11 * MIN);
    assert_eq!(first(&w.tabs[0], is_idle_logout), Some(expiry.after(10 * MIN)));
}

#[test]
fn a_lease_that_ran_out_during_a_sleep_ended_when_it_expired_not_on_waking() {
    let (mut w, held_at) = hold_in_the_second_of_two_tabs(token_config());
    w.advance(MIN + RENEWAL_MS / 2);
    w.close_tab(1);
    let expiry = held_at.after(MIN + LEASE_MS + BUS_DELAY_MS);
    // The laptop sleeps for 5 minutes: no timer fires, and on waking the lease is long gone.
    w.now = w.now.after(5 * MIN);
    w.input(0, Input::Resumed);
    let s = w.tabs[0].engine.snapshot(w.now);
    assert_eq!((s.holds, s.idle_at), (0, Some(expiry.after(10 * MIN))));
}

#[test]
fn a_frozen_holding_tab_stops_holding_for_the_others_until_it_resumes() {
    let (mut w, held_at) = hold_in_the_second_of_two_tabs(token_config());
    w.advance(MIN + RENEWAL_MS / 2);
    w.freeze_tab(1);
    let expiry = held_at.after(MIN + LEASE_MS + BUS_DELAY_MS);
    w.advance(expiry.since(w.now) - 1);
    assert_eq!(holds(&w, 0), 1);
    w.advance(1);
    assert_eq!(holds(&w, 0), 0, "a frozen tab renews nothing: its lease ran out after three intervals");
    assert!(w.tabs[0].engine.snapshot(w.now).idle_at.is_some());
    w.advance(5 * MIN);
    w.thaw_tab(1);
    w.advance(BUS_DELAY_MS);
    assert_eq!(holds(&w, 0), 1, "announced again at once on resume");
    w.advance(60 * MIN);
    assert!(w.tabs.iter().all(|t| t.engine.snapshot(w.now).authenticated && warnings(t).is_empty()));
}

#[test]
fn pagehide_ends_a_tabs_holds_for_the_others_at_once_and_resumed_announces_them_again() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(token_config());
    w.input(1, Input::Hold);
    w.advance(MIN);
    assert_eq!(holds(&w, 0), 2);
    w.input(1, Input::PageHide); // into the back/forward cache
    let hidden_at = w.now;
    w.advance(BUS_DELAY_MS);
    let s = w.tabs[0].engine.snapshot(w.now);
    assert_eq!(s.holds, 0, "the peers are told at once, not after the lease");
    assert_eq!(s.idle_at, Some(hidden_at.after(BUS_DELAY_MS + 10 * MIN)));
    assert_eq!(holds(&w, 1), 2, "the tab itself keeps its count");
    w.advance(MIN);
    assert!(w.tabs[1].broadcasts.last().is_some_and(|m| m.ends_with(" H 0")), "no renewal while hidden");
    w.input(1, Input::Resumed); // back from the cache
    w.advance(BUS_DELAY_MS);
    assert_eq!(holds(&w, 0), 2);
    w.advance(30 * MIN);
    assert!(w.tabs.iter().all(|t| t.engine.snapshot(w.now).authenticated));
}

#[test]
fn the_absolute_timeout_still_ends_a_held_session() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(Config { absolute_timeout_ms: Some(60 * MIN), ..token_config() });
    let absolute_at = w.tabs[1].engine.snapshot(w.now).absolute_at.expect("an absolute deadline");
    w.advance(61 * MIN);
    let absolute_warning = |e: &Event| matches!(e, Event::Warning { cause: Cause::Absolute, .. });
    assert_eq!(first(&w.tabs[1], absolute_warning), Some(absolute_at.before(MIN)));
    assert_eq!(first(&w.tabs[1], |e| *e == local_logout(Reason::Absolute)), Some(absolute_at));
    assert_eq!(warnings(&w.tabs[1]).len(), 1, "only the absolute warning");
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated);
    assert_eq!(holds(&w, 0), 0, "the session's end drops the peer's lease");
    assert_eq!(holds(&w, 1), 1, "the app still holds its handle");
}

#[test]
fn a_hold_survives_a_logout_and_is_announced_to_the_next_session() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(token_config());
    w.advance(MIN);
    w.input(0, Input::Logout);
    w.advance(10);
    assert_eq!(holds(&w, 0), 0);
    assert_eq!(holds(&w, 1), 1);
    w.login(0);
    w.advance(10);
    assert_eq!(holds(&w, 0), 1, "the holder announced itself to the new session");
    w.advance(30 * MIN);
    assert!(w.tabs.iter().all(|t| t.engine.snapshot(w.now).authenticated));
}

#[test]
fn a_hold_taken_in_another_tab_withdraws_an_idle_warning() {
    let mut w = World::new(token_config(), 2);
    w.login(0);
    w.advance(9 * MIN + 10_000);
    assert_eq!(warnings(&w.tabs[0]).len(), 1);
    assert!(!w.tabs[0].listening);
    w.input(1, Input::Hold);
    w.advance(10);
    assert_eq!(w.tabs[0].events.last().map(|e| e.1), Some(Event::Activity), "the warning is withdrawn");
    assert!(w.tabs[0].listening, "and the listeners are back");
    w.advance(30 * MIN);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated);
}

#[test]
fn app_traffic_spares_the_pings_a_hold_would_need() {
    let (mut w, _) = hold_in_the_second_of_two_tabs(cookie_config());
    let end = w.now.after(60 * MIN);
    while w.now < end {
        let now = w.now;
        w.server.last_touch = Some(now);
        w.input(1, Input::ServerTouched(now));
        w.advance(60_000);
    }
    assert!(w.tabs[0].heartbeat_sent.is_empty(), "{:?}", w.tabs[0].heartbeat_sent);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated);
}

// ---- 8. cross-tab --------------------------------------------------------------

#[test]
fn a_refreshed_token_is_adopted_by_other_tabs_without_their_own_refresh() {
    let mut w = World::new(token_config(), 3);
    w.login(0);
    w.advance(10);
    active_for(&mut w, 1, 20 * MIN, 10_000);
    let n = w.server.refreshes.len();
    assert_eq!(n, 4, "four refreshes in 20 min for three tabs together");
    let latest = format!("tok-{}", w.server.issued);
    for i in 0..3 {
        assert_eq!(w.get_token(i).as_deref(), Some(latest.as_str()), "tab {i}");
    }
}

#[test]
fn login_in_one_tab_reaches_the_others() {
    let mut w = World::new(token_config(), 2);
    w.login(1);
    w.advance(10);
    assert_eq!(w.tabs[0].count(|e| matches!(e, Event::Login { .. })), 1);
    assert_eq!(w.get_token(0).as_deref(), Some("tok-1"));
}

#[test]
fn a_new_tab_takes_the_token_from_a_sibling_instead_of_refreshing() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.advance(10);
    let t = w.open_tab();
    w.input(t, Input::TokenWanted);
    w.advance(1_000);
    assert!(w.server.refreshes.is_empty(), "the new tab refreshed although a sibling had a token");
    assert_eq!(w.get_token(t).as_deref(), Some("tok-1"));
    assert_eq!(w.tabs[t].resolved, 1, "the waiting getAccessToken() was answered");
    let s = w.tabs[t].engine.snapshot(w.now);
    assert_eq!(s.absolute_at, w.tabs[0].engine.snapshot(w.now).absolute_at);
}

#[test]
fn a_new_tab_alone_refreshes_once_from_the_cookie() {
    let mut w = World::new(token_config(), 0);
    w.server.login(w.now); // a session from before the reload
    let t = w.open_tab();
    w.input(t, Input::TokenWanted);
    w.advance(299);
    assert!(w.server.refreshes.is_empty(), "it waits for siblings first");
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), 1);
    assert!(w.get_token(t).is_some());
    assert_eq!(w.tabs[t].count(|e| matches!(e, Event::Login { .. })), 1);
    assert_eq!(w.tabs[t].resolved, 1);
}

#[test]
fn a_new_tab_with_no_session_anywhere_settles_logged_out_quietly() {
    let mut w = World::new(token_config(), 0);
    let t = w.open_tab();
    w.input(t, Input::TokenWanted);
    w.advance(2_000);
    assert_eq!(w.server.refreshes.len(), 1);
    let s = w.tabs[t].engine.snapshot(w.now);
    assert!(!s.authenticated && !s.restoring);
    assert_eq!(w.tabs[t].resolved, 1, "getAccessToken() resolves (to null)");
    assert_eq!(w.tabs[t].count(|e| matches!(e, Event::Logout { .. })), 0);
}

#[test]
fn a_tab_that_waited_for_the_lock_skips_its_refresh_when_a_token_arrived() {
    let mut w = World::new(token_config(), 2);
    w.login(0);
    w.advance(10);
    // Both tabs lose the token at once (say a 401 each) and want a new one.
    for i in 0..2 {
        let rejected = w.get_token(i).unwrap_or_default();
        w.input(i, Input::TokenRejected(rejected.clone()));
        w.input(i, Input::TokenWanted);
    }
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), 1, "the second tab used the first tab's result");
    assert_eq!(w.get_token(1).as_deref(), Some("tok-2"));
    assert_eq!(w.get_token(0).as_deref(), Some("tok-2"));
}

#[test]
fn logout_in_one_tab_logs_out_all() {
    let mut w = World::new(token_config(), 3);
    w.login(0);
    w.advance(10);
    w.input(2, Input::Logout);
    w.advance(10);
    assert_eq!(w.tabs[2].count(is_logout(Reason::User)), 1);
    for i in 0..2 {
        assert_eq!(w.tabs[i].count(is_remote_logout(Reason::User)), 1);
        assert_eq!(w.tabs[i].count(|e| matches!(e, Event::Logout { .. })), 1, "one logout event per tab");
        assert_eq!(w.get_token(i), None);
    }
    assert_eq!(w.server.logouts, 1, "only the tab that logged out calls the server");
}

/// A tab frozen in the background wakes, finds the idle deadline long past
/// and logs out before it hears that the user has signed in again meanwhile:
/// the new session must not end.
#[test]
fn a_logout_for_a_session_that_ended_before_this_one_started_is_ignored() {
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    w.advance(16 * MIN);
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated, "the idle timeout ended the first session");
    w.login(0);
    let (idle_deadline, started_again) = (w.now.before(MIN), w.now);
    for (at, ends) in [(idle_deadline, false), (started_again, true)] {
        let told = Envelope { from: 7, message: Message::Logout { reason: Reason::Idle, at: Some(at) } }.encode();
        w.garbage(0, told);
        assert_eq!(w.tabs[0].engine.snapshot(w.now).authenticated, !ends, "a logout at {at:?}");
    }
    // A sender that does not say when (an older version) is followed.
    w.login(0);
    w.garbage(0, Envelope { from: 7, message: Message::Logout { reason: Reason::User, at: None } }.encode());
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated);
}

#[test]
fn every_cause_of_a_logout_reaches_the_other_tabs_marked_remote() {
    for reason in [Reason::User, Reason::Idle, Reason::Absolute, Reason::Revoked] {
        let mut w = World::new(cookie_config(), 2);
        w.login(0);
        w.advance(10);
        let told = Envelope { from: 7, message: Message::Logout { reason, at: Some(w.now) } }.encode();
        let broadcasts = w.tabs[1].broadcasts.len();
        w.garbage(1, told);
        assert_eq!(w.tabs[1].count(is_remote_logout(reason)), 1, "{reason:?}");
        assert_eq!(w.tabs[1].count(|e| matches!(e, Event::Timeout(_))), 0, "the timeout was the other tab's");
        assert_eq!(w.tabs[1].logout_calls, 0, "{reason:?}: the tab that decided calls the server, not this one");
        assert_eq!(w.tabs[1].broadcasts.len(), broadcasts, "{reason:?}: a followed logout is not re-broadcast");
        w.advance(10);
        assert_eq!(w.tabs[0].count(|e| matches!(e, Event::Logout { .. })), 0, "tab 0 heard no echo");
    }
}

#[test]
fn bad_messages_are_ignored_and_counted() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let bad = [
        "",
        "hello",
        "ksa2 5 L 1",
        "ksa1 x O user",
        "ksa1 5 Z",
        "ksa1 5 O nobody",
        "ksa1 5 O remote", // no longer a reason: the cause travels instead
        "ksa1 5 H",
        "ksa1 5 H x",
        "ksa1 5 H 4294967296", // more than a u32
        "ksa1 5 H 1 2",
        "ksa1 5 T 1",
        "ksa1 5 A 1",
        "ksa1 5 Q extra",
        "ksa1 100 O user", // our own echo
        "ksa1 5 L 1 2",
        "ksa1 5 S 99999999999999999999999",
    ];
    for b in bad {
        w.garbage(0, b.to_string());
    }
    assert_eq!(w.tabs[0].engine.ignored_messages(), bad.len() as u32);
    assert!(w.tabs[0].engine.snapshot(w.now).authenticated);
}

#[test]
fn messages_from_the_future_cannot_keep_a_session_alive() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let far = w.now.after(1000 * MIN).0;
    w.garbage(0, format!("ksa1 7 A {far} {far}"));
    w.advance(11 * MIN);
    assert_eq!(w.tabs[0].count(is_logout(Reason::Idle)), 1);
}

#[test]
fn the_codec_round_trips_every_kind() {
    let token = SharedToken { expires_at: Time(123), value: "a b|c".into() };
    let messages = [
        Message::Login { started_at: Time(1), token: Some(token.clone()) },
        Message::Login { started_at: Time(1), token: None },
        Message::Logout { reason: Reason::Revoked, at: None },
        Message::Logout { reason: Reason::Idle, at: Some(Time(7)) },
        Message::Token { started_at: Time(2), token: token.clone() },
        Message::Activity { at: Time(3), touched: Time(4) },
        Message::StaySignedIn { at: Time(5) },
        Message::Hold { count: 0 },
        Message::Hold { count: u32::MAX },
        Message::SessionWanted,
        Message::RefreshWanted,
        Message::Session { started_at: Time(6), active_at: Some(Time(5)), token: Some(token.clone()) },
        Message::Session { started_at: Time(6), active_at: Some(Time(5)), token: None },
        // The form of earlier 0.2 builds, which do not say when the user was last present.
        Message::Session { started_at: Time(6), active_at: None, token: Some(token) },
        Message::Session { started_at: Time(6), active_at: None, token: None },
    ];
    for message in messages {
        let e = Envelope { from: u64::MAX, message };
        assert_eq!(Envelope::decode(&e.encode()), Some(e.clone()), "{}", e.encode());
    }
}

// ---- 9. logout -----------------------------------------------------------------

#[test]
fn logout_clears_the_token_at_once_and_stays_out_whatever_the_server_says() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.input(0, Input::Logout);
    assert_eq!(w.get_token(0), None);
    assert_eq!(w.tabs[0].logout_calls, 1);
    let told =
        Envelope { from: w.tabs[0].engine.tab(), message: Message::Logout { reason: Reason::User, at: Some(w.now) } };
    assert_eq!(w.tabs[0].broadcasts.last(), Some(&told.encode()));
    // A refresh reply that was in flight, arriving after the logout, is ignored.
    w.input(0, Input::RefreshDone(RefreshResult::Ok { token: "late".into(), expires_in_ms: 300_000 }));
    w.advance(10 * MIN);
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated);
    assert_eq!(w.get_token(0), None);
}

#[test]
fn a_timeout_with_five_tabs_open_sends_one_logout_request_from_the_leader() {
    for absolute in [false, true] {
        let config = Config { absolute_timeout_ms: absolute.then_some(5 * MIN), ..cookie_config() };
        let mut w = World::new(config, 5);
        w.login(0);
        w.advance(16 * MIN);
        let cause = if absolute { Reason::Absolute } else { Reason::Idle };
        for t in 0..5 {
            assert!(!w.tabs[t].engine.snapshot(w.now).authenticated, "{cause:?}: tab {t} signed out");
            let ended = |e: &Event| matches!(e, Event::Logout { reason, .. } if *reason == cause);
            assert_eq!(w.tabs[t].count(ended), 1, "{cause:?}: tab {t}, by its own timer or the leader's word");
        }
        assert_eq!(w.server.logouts, 1, "{cause:?}: one request, whatever the number of tabs");
        assert_eq!(w.tabs[0].logout_calls, 1, "{cause:?}: from the leader");
    }
}

#[test]
fn a_follower_whose_timer_fires_first_leaves_the_logout_request_to_the_leader() {
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    w.advance(MIN);
    // The follower's deadline comes first (its timer ran ahead): its message
    // reaches the leader before the leader's own timer.
    let at = w.now;
    let follower = w.tabs[1].engine.tab();
    w.garbage(0, Envelope { from: follower, message: Message::Logout { reason: Reason::Idle, at: Some(at) } }.encode());
    assert!(!w.tabs[0].engine.snapshot(w.now).authenticated);
    assert_eq!(w.tabs[0].logout_calls, 1, "the leader tells the server of a timeout it heard of");
    w.advance(10);
    assert_eq!(w.server.logouts, 1);
    // A user's logout is told by the tab where it began, leader or not.
    w.login(1);
    w.advance(10);
    w.input(1, Input::Logout);
    w.advance(10);
    assert_eq!((w.tabs[0].logout_calls, w.tabs[1].logout_calls), (1, 1));
}

#[test]
fn logout_during_a_new_tabs_restore_still_reaches_the_server_and_the_other_tabs() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    w.advance(10);
    let t = w.open_tab();
    w.input(t, Input::Logout); // before any sibling answered
    w.advance(10);
    assert_eq!(w.tabs[t].logout_calls, 1);
    assert_eq!(w.tabs[0].count(is_remote_logout(Reason::User)), 1);
    assert!(!w.tabs[t].engine.snapshot(w.now).authenticated);
}

#[test]
fn confirming_a_session_on_every_page_load_does_not_restart_the_absolute_timeout() {
    let mut w = World::new(Config { absolute_timeout_ms: Some(60 * MIN), ..cookie_config() }, 2);
    w.login(0);
    let t0 = w.now;
    for _ in 0..5 {
        w.advance(10 * MIN);
        let t = w.open_tab(); // a reload: the app calls setSession({}) at once
        let now = w.now;
        w.input(t, Input::SessionStarted { token: None, sent_at: now });
    }
    w.advance(20 * MIN);
    let end = w.tabs[0].events.iter().find(|(_, e)| matches!(e, Event::Logout { .. })).map(|x| x.0);
    assert!(end.is_some_and(|e| e <= t0.after(60 * MIN)), "session outlived its absolute timeout: {end:?}");
}

// ---- 10. options -----------------------------------------------------------------

#[test]
fn a_callback_drives_the_engine_exactly_as_its_url_does() {
    let urls = Config {
        keepalive_url: Some("/k".into()),
        refresh_url: Some("/r".into()),
        logout_url: Some("/o".into()),
        session_timeout_ms: Some(10 * MIN),
        ..Config::default()
    };
    let callbacks = Config {
        keepalive_callback: true,
        refresh_callback: true,
        logout_callback: true,
        session_timeout_ms: Some(10 * MIN),
        ..Config::default()
    };
    assert_eq!(callbacks.timing(), urls.timing());
    let none = Config { session_timeout_ms: Some(10 * MIN), ..Config::default() };
    assert_ne!(none.timing(), urls.timing(), "the comparison sees the endpoints");
}

#[test]
fn invalid_options_are_rejected_with_the_option_name_and_the_rule() {
    let base = Config::default;
    let cases: Vec<(Config, &str, &str)> = vec![
        (Config { idle_timeout_ms: Some(0), ..base() }, "idleTimeoutMs", "positive"),
        (
            Config { idle_timeout_ms: Some(1000), warning_ms: Some(1000), ..base() },
            "warningMs",
            "smaller than idleTimeoutMs",
        ),
        (Config { keepalive_url: Some("/ka".into()), ..base() }, "sessionTimeoutMs", "required with keepaliveUrl"),
        (
            Config {
                keepalive_url: Some("/ka".into()),
                session_timeout_ms: Some(60_000),
                min_heartbeat_interval_ms: Some(60_000),
                ..base()
            },
            "minHeartbeatIntervalMs",
            "three quarters",
        ),
        (Config { refresh_url: Some("  ".into()), ..base() }, "refreshUrl", "non-empty"),
        (Config { refresh_url: Some("/r".into()), refresh_callback: true, ..base() }, "refresh", "not both"),
        (Config { keepalive_url: Some("/k".into()), keepalive_callback: true, ..base() }, "keepalive", "not both"),
        (Config { logout_url: Some("/o".into()), logout_callback: true, ..base() }, "logout", "not both"),
        (Config { keepalive_callback: true, ..base() }, "sessionTimeoutMs", "required with keepaliveUrl or keepalive"),
        (Config { logout_url: Some("/a b".into()), ..base() }, "logoutUrl", "without spaces"),
        (Config { login_url: Some("/login\n".into()), ..base() }, "loginUrl", "control characters"),
        (Config { keepalive_url: Some("/ka\u{7f}".into()), ..base() }, "keepaliveUrl", "control characters"),
        (Config { refresh_url: Some("/r\u{a0}".into()), ..base() }, "refreshUrl", "without spaces"),
        (Config { refresh_url: Some("/r\u{85}".into()), ..base() }, "refreshUrl", "control characters"),
        (Config { channel_name: "-x".into(), ..base() }, "channelName", "must not start with '-'"),
        (Config { refresh_lead_ms: 2 * 3_600_000, ..base() }, "refreshLeadMs", "at most one hour"),
        (
            Config { absolute_timeout_ms: Some(30_000), warning_ms: Some(30_000), ..base() },
            "warningMs",
            "smaller than absoluteTimeoutMs",
        ),
        (Config { channel_name: String::new(), ..base() }, "channelName", "non-empty"),
        (Config { request_timeout_ms: 0, ..base() }, "requestTimeoutMs", "positive"),
    ];
    for (config, option, rule) in cases {
        let err = config.validate().expect_err(option);
        assert_eq!(err.option, option);
        let msg = err.message();
        assert!(msg.contains(option) && msg.contains(rule), "{msg}");
        assert!(Engine::new(&config, 1, Time(0)).is_err());
    }
    let err = Config { idle_timeout_ms: Some(1000), warning_ms: Some(1500), ..base() }.validate().expect_err("warning");
    assert!(err.message().ends_with("(got 1500)"), "{}", err.message());
}

#[test]
fn an_idle_timeout_longer_than_the_session_timeout_is_accepted() {
    let c = Config {
        keepalive_url: Some("/ka".into()),
        session_timeout_ms: Some(5 * MIN),
        idle_timeout_ms: Some(10 * MIN),
        ..Config::default()
    };
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn defaults_adapt_to_short_timeouts_instead_of_failing() {
    assert!(Config { absolute_timeout_ms: Some(30_000), ..Config::default() }.validate().is_ok());
    let tiny = Config { keepalive_url: Some("/ka".into()), session_timeout_ms: Some(3), ..Config::default() };
    assert!(tiny.validate().is_ok(), "{:?}", tiny.validate());
}

#[test]
fn defaults_are_valid_and_follow_the_session_timeout() {
    assert!(Config::default().validate().is_ok());
    let c = Config { keepalive_url: Some("/ka".into()), session_timeout_ms: Some(5 * MIN), ..Config::default() };
    let t = c.timing().expect("valid");
    assert_eq!(t.idle_ms, 5 * MIN, "idle defaults to the session timeout when shorter than 15 min");
    assert_eq!(t.heartbeat.map(|h| h.min_interval_ms), Some(MIN));
}

#[test]
fn numbers_in_messages_are_plain_decimal_u64() {
    use crate::core::digits::number;
    assert_eq!(number("0"), Some(0));
    assert_eq!(number("18446744073709551615"), Some(u64::MAX));
    assert_eq!(number("18446744073709551616"), None, "overflow");
    for bad in ["", "+5", "-1", " 5", "5 ", "1e3", "0x10", "٣"] {
        assert_eq!(number(bad), None, "{bad:?}");
    }
    for n in [0, 9, 10, 99, 100, 1_700_000_000_000, u64::MAX / 10, u64::MAX] {
        let mut s = String::from("x");
        crate::core::digits::push_u64(&mut s, n);
        assert_eq!(s, format!("x{n}"));
        assert_eq!(number(&s[1..]), Some(n));
    }
}

// ---- without Web Locks: leader and refresh claims over messages ------------------

fn leaders(w: &World) -> Vec<usize> {
    (0..w.tabs.len()).filter(|&i| w.tabs[i].open && w.tabs[i].engine.snapshot(w.now).leader).collect()
}

#[test]
fn without_web_locks_three_tabs_elect_one_leader_and_refresh_once_per_token_cycle() {
    let mut w = World::without_web_locks(token_config(), 3);
    assert_eq!(leaders(&w).len(), 1, "one leader after the election");
    w.login(0);
    let t0 = w.now;
    for i in 0..30 {
        active_for(&mut w, i % 3, MIN, 10_000);
        assert_eq!(leaders(&w).len(), 1, "one leader at minute {i}");
    }
    // 5-minute tokens refreshed 30 s before expiry: one refresh every 4.5 minutes,
    // whichever tab does it (the harness fails any two that overlap at the server).
    let cycles = w.now.since(t0) / (5 * MIN - 30_000);
    assert_eq!(w.server.refreshes.len() as u64, cycles);
    for i in 0..3 {
        assert!(w.get_token(i).is_some(), "tab {i} holds the shared token");
    }
}

#[test]
fn without_web_locks_a_leader_that_goes_away_is_replaced() {
    let mut w = World::without_web_locks(cookie_config(), 3);
    w.login(0);
    let first = leaders(&w);
    assert_eq!(first.len(), 1);
    // pagehide: the others take over within one claim window.
    w.input(first[0], Input::PageHide);
    w.advance(1_000);
    let second = leaders(&w);
    assert_eq!(second.len(), 1, "a new leader at once after pagehide");
    assert_ne!(second, first);
    // A crash tells nobody: the claim runs out, then another tab leads.
    w.close_tab(second[0]);
    w.advance(30_000);
    assert!(leaders(&w).is_empty(), "the crashed leader's claim still counts");
    w.advance(60_000);
    assert_eq!(leaders(&w).len(), 1, "a new leader once the claim expired");
    // The first tab's page comes back: it stands again but the leader keeps the lock.
    w.input(first[0], Input::Resumed);
    w.advance(1_000);
    assert_eq!(leaders(&w).len(), 1);
}

#[test]
fn without_web_locks_tabs_waking_together_keep_one_leader_and_ping_once() {
    let mut w = World::without_web_locks(cookie_config(), 3);
    w.login(0);
    active_for(&mut w, 1, 10 * MIN, 20_000);
    // A laptop sleeps past every claim; on waking all tabs resume at once.
    w.now = w.now.after(3 * 3_600_000);
    for i in 0..3 {
        w.input(i, Input::Resumed);
    }
    w.advance(5_000);
    assert_eq!(leaders(&w).len(), 1);
    w.login(2);
    let sent_before: Vec<usize> = w.tabs.iter().map(|t| t.heartbeat_sent.len()).collect();
    active_for(&mut w, 2, 40 * MIN, 20_000);
    let pinged: Vec<usize> = w.tabs.iter().zip(&sent_before).map(|(t, b)| t.heartbeat_sent.len() - b).collect();
    // A 20-minute sliding timeout is pinged its margin (90 s) before it lapses:
    // twice in 40 minutes, by the one leader.
    assert_eq!(pinged.iter().sum::<usize>(), 2, "{pinged:?}");
    assert_eq!(pinged.iter().filter(|&&n| n > 0).count(), 1, "one tab pings, not three: {pinged:?}");
}

// ---- a lock that never comes back -------------------------------------------------

#[test]
fn a_refresh_lock_held_by_a_hung_tab_is_taken_over_after_its_patience_and_by_one_tab() {
    let mut w = World::new(token_config(), 3);
    w.login(0);
    // A tab outside this world took the refresh lock and hung.
    w.lock_holder = Some(usize::MAX);
    let t0 = w.now;
    active_for(&mut w, 1, 5 * MIN, 10_000);
    assert_eq!(w.steals, 1, "one tab takes the lock over; the others wait behind it");
    assert_eq!(w.server.refreshes.len(), 1);
    // Due 30 s before expiry; taken over after twice the request timeout plus 5 s (and this tab's jitter).
    let refreshed = w.server.refreshes[0];
    let due = t0.after(5 * MIN - 30_000);
    assert!(refreshed > due.after(25_000) && refreshed < due.after(25_000 + 6_300), "{:?}", refreshed.since(due));
    for i in 0..3 {
        assert_eq!(w.get_token(i).as_deref(), Some("tok-2"), "tab {i} has the new token before the old expired");
    }
}

#[test]
fn a_leader_that_stopped_pinging_is_replaced_and_the_server_session_never_lapses() {
    let mut w = World::new(cookie_config(), 2);
    w.login(0);
    // The leader hangs: no timer, no message.
    w.freeze_tab(0);
    for _ in 0..40 {
        active_for(&mut w, 1, MIN, 20_000);
        assert!(w.server.alive(w.now), "the server session lapsed at {:?}", w.now);
    }
    assert_eq!(w.steals, 1);
    assert!(w.tabs[1].engine.snapshot(w.now).leader);
    assert!(!w.tabs[1].heartbeat_sent.is_empty(), "the new leader pings");
    // The old leader runs again and learns it no longer leads.
    w.thaw_tab(0);
    w.advance(1_000);
    assert!(!w.tabs[0].engine.snapshot(w.now).leader);
}

#[test]
fn a_session_that_idles_out_before_its_token_expires_costs_no_refresh() {
    // Idle after 3 minutes, 5-minute tokens refreshed 30 s ahead.
    let config = Config { idle_timeout_ms: Some(3 * MIN), warning_ms: Some(20_000), ..token_config() };
    let mut w = World::new(config, 2);
    w.login(0);
    let t0 = w.now;
    // The user works until about 1:40: the session ends about 4:40, before
    // the token expires at 5:00, so its refresh time (4:30) passes without a refresh.
    active_for(&mut w, 1, 110_000, 10_000);
    let idle_at = w.tabs[1].engine.snapshot(w.now).idle_at.unwrap_or(t0);
    assert!(idle_at > t0.after(4 * MIN + 30_000) && idle_at <= t0.after(5 * MIN), "{:?}", idle_at.since(t0));
    w.advance(60 * MIN);
    assert_eq!(w.server.refreshes.len(), 0, "no refresh for a session that ends first: {:?}", w.server.refreshes);
    assert!(w.tabs.iter().all(|t| !t.engine.snapshot(w.now).authenticated));
    // Still, a request while the user is there gets a token on demand.
    let mut w = World::new(Config { idle_timeout_ms: Some(3 * MIN), warning_ms: Some(20_000), ..token_config() }, 1);
    w.login(0);
    active_for(&mut w, 0, 4 * MIN + 40_000, 15_000);
    assert_eq!(w.server.refreshes.len(), 1, "activity past 2:00 moves the idle deadline past the expiry");
    assert!(w.server.refreshes[0] < t0.after(5 * MIN + 60_000));
}

#[test]
fn tabs_opened_after_the_login_take_the_users_presence_from_their_siblings() {
    // The bench's idle hour: 5-minute tokens, a 5-minute idle timeout, a login
    // in one tab, then four tabs opened 30 s apart and no activity at all.
    let config = Config { idle_timeout_ms: Some(5 * MIN), warning_ms: Some(20_000), ..token_config() };
    let mut w = World::new(config, 1);
    w.login(0);
    let t0 = w.now;
    for _ in 0..4 {
        w.advance(30_000);
        let t = w.open_tab();
        w.advance(1_000);
        assert_eq!(w.tabs[t].engine.snapshot(w.now).idle_at, Some(t0.after(5 * MIN)), "tab {t} counts its page load");
    }
    w.advance(60 * MIN);
    assert_eq!(w.server.refreshes, [], "a refresh for a session that idles out first");
    for (i, tab) in w.tabs.iter().enumerate() {
        assert!(!tab.engine.snapshot(w.now).authenticated, "tab {i} still signed in");
    }
    // A hold in the first tab keeps a tab that joins later present from its join.
    let mut w = World::new(Config { idle_timeout_ms: Some(5 * MIN), ..token_config() }, 1);
    w.login(0);
    w.input(0, Input::Hold);
    w.advance(20 * MIN);
    let opened = w.now;
    let t = w.open_tab();
    w.advance(1_000);
    let joined = w.tabs[t].engine.snapshot(w.now).idle_at;
    assert!(joined.is_some_and(|i| i >= opened.after(5 * MIN)), "not present from the join: {joined:?}");
    // The holder's next lease renewal reaches it within an interval.
    w.advance(5_000);
    assert_eq!(w.tabs[t].engine.snapshot(w.now).idle_at, None);
    w.input(0, Input::Release);
    w.advance(1_000);
    assert!(
        w.tabs[t].engine.snapshot(w.now).authenticated,
        "the joined tab timed the user out although a hold just ended"
    );
}

// ---- the back/forward cache ---------------------------------------------------

#[test]
fn a_page_back_from_the_cache_checks_its_token_before_handing_it_out() {
    let mut w = World::new(token_config(), 1);
    w.login(0);
    let before = w.server.refreshes.len();
    w.input(0, Input::PageHide);
    w.advance(60_000);
    // Another tab logged out meanwhile: the message never reached the cached page.
    w.server.logged_in = false;
    w.input(0, Input::Restored);
    assert_eq!(w.get_token(0), None, "no token before the check");
    w.advance(1_000);
    assert_eq!(w.server.refreshes.len(), before + 1, "the check is one refresh");
    let s = w.tabs[0].engine.snapshot(w.now);
    assert!(!s.authenticated, "the server's 401 ends the session");
    assert_eq!(w.tabs[0].count(is_logout(Reason::Revoked)), 1);
}

#[test]
fn a_page_back_from_the_cache_next_to_a_signed_in_sibling_stays_signed_in_with_a_valid_token() {
    let mut w = World::new(token_config(), 2);
    w.login(0);
    w.advance(1_000);
    let before = w.server.refreshes.len();
    w.input(1, Input::PageHide);
    w.advance(60_000);
    w.input(1, Input::Restored);
    w.advance(1_000);
    // The sibling's answer or one refresh (the harness fails any token the server does not hold).
    assert_eq!(w.get_token(1), w.get_token(0), "both tabs hold the same token");
    assert!(w.get_token(1).is_some());
    assert!(w.server.refreshes.len() <= before + 1, "at most one check");
    assert_eq!(w.tabs[1].count(is_logout(Reason::Revoked)), 0);
}

#[test]
fn commands_leave_the_outbox_in_the_order_they_were_queued_across_drains() {
    let mut out = crate::core::io::Outbox::default();
    out.push_back(Command::Listen(true));
    out.push_back(Command::SendHeartbeat);
    assert_eq!(out.pop_front(), Some(Command::Listen(true)));
    // Queued while the driver drains: behind what is already waiting.
    out.push_back(Command::SendRefresh);
    assert_eq!(out.pop_front(), Some(Command::SendHeartbeat));
    assert_eq!(out.pop_front(), Some(Command::SendRefresh));
    assert_eq!(out.pop_front(), None);
    assert_eq!(out.pop_front(), None);
    // Emptied by the drain, it starts over.
    out.push_back(Command::CallLogout);
    assert_eq!(out.pop_front(), Some(Command::CallLogout));
    assert_eq!(out.pop_front(), None);
}
