//! The one face of the browser layer: what the JavaScript facade starts,
//! feeds and asks. The facade converts JS values and words errors; the
//! driver config, the flows and every handle live behind this type.

use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::Request;

use super::app_fetch::FetchError;
use super::channel::Channel;
use super::driver::{now, with, Driver, TokenWaiter};
use super::global::{get, global};
use super::handles::Target;
use super::js_values;
use super::locks::lock_manager;
use super::promise::Then;
use super::requests::{Endpoint, LoginError, WebConfig};
use crate::core::{Config, ConfigError, Engine, Input};

/// The options as the facade read them: the engine's part, still to be
/// validated, and the browser's (defaults already applied).
pub(crate) struct KeeperOptions {
    pub config: Config,
    pub activity_events: Vec<String>,
    pub headers: super::http::RequestHeaders,
    /// Where `fetch()` may send the token besides the page's own origin.
    pub token_urls: Vec<String>,
    pub keepalive: Option<Function>,
    pub refresh: Option<Function>,
    pub logout: Option<Function>,
}

/// Why a keeper could not start.
pub(crate) enum StartError {
    /// An option's value, or a combination, the engine refuses.
    Config(ConfigError),
    /// No `EventTarget` to dispatch events on: not a browser.
    NoEventTarget,
}

/// One tab's keeper: the engine, its driver and everything it holds.
pub(crate) struct Keeper(Rc<Driver>);

/// A keeper that may be gone: what a hold keeps.
pub(crate) struct WeakKeeper(Weak<Driver>);

impl Keeper {
    /// Starts keeping the session: the channel, the page's listeners, the
    /// locks, and the question to sibling tabs.
    pub(crate) fn start(options: KeeperOptions) -> Result<Keeper, StartError> {
        let KeeperOptions { config, activity_events, headers, mut token_urls, keepalive, refresh, logout } = options;
        let window = global();
        // The page's own origin, unless it has none (`"null"`: a sandboxed frame, a file).
        let origin = get(&window, "origin").and_then(|o| o.as_string());
        if let Some(mut origin) = origin.filter(|o| o.starts_with("http")) {
            origin.push('/');
            token_urls.push(origin);
        }
        let tab = (js_sys::Math::random() * 4_503_599_627_370_496.0) as u64;
        let engine = Engine::new(&config, tab, now()).map_err(StartError::Config)?;
        let web = WebConfig {
            keepalive: Endpoint::from(config.keepalive_url, keepalive),
            refresh: Endpoint::from(config.refresh_url, refresh),
            logout: Endpoint::from(config.logout_url, logout),
            login_url: config.login_url,
            activity_events,
            headers,
            token_urls,
            request_timeout_ms: config.request_timeout_ms,
            channel_name: config.channel_name,
        };
        let locks = lock_manager();
        let no_locks = locks.is_none();
        let driver = Driver::new(engine, web, locks).map_err(|_| StartError::NoEventTarget)?;
        let weak = Rc::downgrade(&driver);
        let channel =
            Channel::open(&driver.config.channel_name, move |text| with(&weak, |d| d.handle(Input::Message(text))));
        let lifecycle = driver.listen_to_the_page();
        if let Some(mut h) = driver.handles() {
            h.channel = channel;
            h.lifecycle = lifecycle;
        }
        driver.take_tab_locks();
        let online = get(&window, "navigator").and_then(|n| get(&n, "onLine")).and_then(|v| v.as_bool());
        if online == Some(false) {
            driver.handle(Input::Online(false));
        }
        // Without Web Locks the tabs elect their leader and serialize their
        // refreshes over the channel.
        if no_locks {
            driver.handle(Input::LocksUnavailable);
        }
        // The question to the siblings, queued by the engine's start.
        driver.drain();
        Ok(Keeper(driver))
    }

    /// Feeds the engine an input from the app.
    pub(crate) fn input(&self, input: Input) {
        self.0.handle(input);
    }

    /// The `state` object, as of now (`null` should the engine be borrowed then).
    pub(crate) fn state(&self) -> JsValue {
        let engine = self.0.engine.try_borrow().ok();
        let mut tab_id = String::new();
        let state = engine.map(|e| {
            crate::core::digits::push_u64(&mut tab_id, e.tab());
            js_values::State::new(e.snapshot(now()), &tab_id, e.ignored_messages())
        });
        js_values::to_js(&state)
    }

    /// Answers `waiter` with a valid token, refreshing first if need be;
    /// `None` when there is none to be had.
    pub(crate) fn token(&self, waiter: TokenWaiter) {
        self.0.want_token(waiter);
    }

    /// POSTs the JSON `body` to `loginUrl` and starts the session it answers.
    pub(crate) fn login(&self, body: Option<String>, then: Then<Result<(), LoginError>>) {
        self.0.login(body, then);
    }

    /// The app's request, authorized for a token session.
    pub(crate) fn fetch(&self, request: Request, then: Then<Result<JsValue, FetchError>>) {
        self.0.fetch(request, then);
    }

    /// The target the keeper's events are dispatched on.
    pub(crate) fn events(&self) -> &Target {
        &self.0.events
    }

    pub(crate) fn downgrade(&self) -> WeakKeeper {
        WeakKeeper(Rc::downgrade(&self.0))
    }

    /// Removes every listener, timer, lock and channel.
    pub(crate) fn dispose(&self) {
        self.0.dispose();
    }
}

impl WeakKeeper {
    /// Feeds the engine an input if the keeper is still there.
    pub(crate) fn input(&self, input: Input) {
        with(&self.0, |d| d.handle(input));
    }
}
