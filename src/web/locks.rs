//! Web Locks (`navigator.locks`): the leader lock held for a tab's lifetime and
//! the refresh lock that serializes refreshes across tabs. Our own binding: the
//! web-sys one needs `web_sys_unstable_apis`.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortController;

use super::global::{get, global, object};
use super::promise::{when_settled, Deferred};

#[wasm_bindgen]
extern "C" {
    pub(crate) type LockManager;
    #[wasm_bindgen(catch, method, js_name = request)]
    fn request_with_options(
        this: &LockManager,
        name: &str,
        options: &JsValue,
        callback: &Function,
    ) -> Result<Promise, JsValue>;
}

/// The lock manager, or `None` where the browser has no Web Locks (older
/// Safari, insecure contexts): then every tab acts as leader and refreshes are
/// serialized only within the tab.
pub(crate) fn lock_manager() -> Option<LockManager> {
    let locks = get(&get(&global(), "navigator")?, "locks")?;
    (!locks.is_null()).then(|| locks.unchecked_into())
}

/// A request for a lock: `on_granted` runs when the lock is ours; the lock is
/// held until drop. Dropping also withdraws a request still waiting.
/// `on_denied` runs if the browser refuses the request (a name it does not
/// accept, an opaque origin): the caller then carries on as without Web Locks.
/// `on_lost` runs if another tab takes the lock over (`steal`) once it was ours.
#[must_use = "the lock is released, or the request withdrawn, when dropped"]
pub(crate) struct LockRequest {
    abort: Option<AbortController>,
    held: std::rc::Rc<std::cell::RefCell<Option<Deferred>>>,
    _callback: Closure<dyn FnMut(JsValue) -> Promise>,
}

impl LockRequest {
    pub(crate) fn new(
        locks: &LockManager,
        name: &str,
        steal: bool,
        on_granted: Box<dyn FnMut()>,
        on_denied: Box<dyn FnOnce()>,
        on_lost: Box<dyn FnOnce()>,
    ) -> LockRequest {
        let held = std::rc::Rc::new(std::cell::RefCell::new(None::<Deferred>));
        let granted = std::rc::Rc::new(std::cell::Cell::new(false));
        let slot = held.clone();
        let was_granted = granted.clone();
        let mut on_granted = on_granted;
        let callback = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock| {
            // The lock is held until this promise settles: keep its settling side.
            let (promise, release) = Deferred::new();
            if let Ok(mut s) = slot.try_borrow_mut() {
                *s = Some(release);
            }
            was_granted.set(true);
            on_granted();
            promise
        });
        // A steal is granted at once and may not carry a signal (the spec
        // refuses the pair); a plain request can be withdrawn while it waits.
        let abort = if steal { None } else { AbortController::new().ok() };
        let options = match &abort {
            Some(a) => object(&[("signal", &a.signal())]),
            None if steal => object(&[("steal", &JsValue::TRUE)]),
            None => object(&[]),
        };
        let pending = locks
            .request_with_options(name, &options, callback.as_ref().unchecked_ref())
            .unwrap_or_else(|e| Promise::reject(&e));
        // Our own abort (a drop while waiting) rejects too; that is expected.
        let withdrawn = abort.clone();
        when_settled(
            &pending,
            Box::new(move |ended| {
                if ended.is_err() && !withdrawn.is_some_and(|a| a.signal().aborted()) {
                    if granted.get() {
                        on_lost();
                    } else {
                        on_denied();
                    }
                }
            }),
        );
        LockRequest { abort, held, _callback: callback }
    }

    fn release(&self) {
        let release = self.held.try_borrow_mut().ok().and_then(|mut s| s.take());
        if let Some(release) = release {
            release.resolve(&JsValue::UNDEFINED);
        }
    }
}

impl Drop for LockRequest {
    fn drop(&mut self) {
        self.release();
        if let Some(a) = &self.abort {
            a.abort();
        }
    }
}
