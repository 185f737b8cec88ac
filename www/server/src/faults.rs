//! Test-only fault switches (`/api/test/faults`, only with `--test-endpoints`):
//! make the next N requests to one route fail in a chosen way, without the
//! route's handler running (a failed refresh rotates nothing, a hung one
//! cannot rotate after the client gave up).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Deserialize;

/// How a faulted request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// This status with a JSON error body.
    Status(u16),
    /// No answer for this many milliseconds, then 503. A client that gives
    /// up first just closes the connection.
    Hang(u64),
    /// 200 with `Content-Type: application/json` and a truncated JSON body.
    Malformed,
}

/// One armed fault: the route, what its requests get, and for how many more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The route as matched, e.g. `/api/auth/refresh`.
    pub path: String,
    /// What the requests get.
    pub kind: FaultKind,
    /// How many more requests get it.
    pub times: u32,
}

/// `POST /api/test/faults` body:
/// `{"path", "kind": "status"|"hang"|"malformed", "status"?: 503, "ms"?: 30000, "times"?: 1}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    path: String,
    kind: String,
    status: Option<u16>,
    ms: Option<u64>,
    times: Option<u32>,
}

impl FaultSpec {
    /// The fault it describes; `Err` names what is wrong.
    pub fn fault(self) -> Result<Fault, String> {
        if !self.path.starts_with("/api/") || self.path.starts_with("/api/test/") {
            return Err(format!("path must be an /api/ route other than /api/test/*, got {:?}", self.path));
        }
        let times = self.times.unwrap_or(1);
        if times == 0 {
            return Err("times must be at least 1".into());
        }
        let only = |field: &str, present: bool| {
            if present {
                Err(format!("{field} does not apply to kind {:?}", self.kind))
            } else {
                Ok(())
            }
        };
        let kind = match self.kind.as_str() {
            "status" => {
                only("ms", self.ms.is_some())?;
                let status = self.status.unwrap_or(503);
                if !(400..=599).contains(&status) {
                    return Err(format!("status must be 400..=599, got {status}"));
                }
                FaultKind::Status(status)
            }
            "hang" => {
                only("status", self.status.is_some())?;
                let ms = self.ms.unwrap_or(30_000);
                if ms > 600_000 {
                    return Err(format!("ms must be at most 600000, got {ms}"));
                }
                FaultKind::Hang(ms)
            }
            "malformed" => {
                only("status", self.status.is_some())?;
                only("ms", self.ms.is_some())?;
                FaultKind::Malformed
            }
            other => return Err(format!("kind must be \"status\", \"hang\" or \"malformed\", got {other:?}")),
        };
        Ok(Fault { path: self.path, kind, times })
    }
}

impl Fault {
    /// As JSON, in the shape `POST /api/test/faults` takes.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "path": self.path, "times": self.times });
        match self.kind {
            FaultKind::Status(s) => {
                v["kind"] = "status".into();
                v["status"] = s.into();
            }
            FaultKind::Hang(ms) => {
                v["kind"] = "hang".into();
                v["ms"] = ms.into();
            }
            FaultKind::Malformed => v["kind"] = "malformed".into(),
        }
        v
    }
}

/// The armed faults, in the order they were added; each request to a path
/// takes the first armed fault for that path.
#[derive(Debug, Default)]
pub struct Faults {
    armed: Mutex<VecDeque<Fault>>,
}

impl Faults {
    /// Arms `f` behind any faults already armed.
    pub fn add(&self, f: Fault) {
        self.lock().push_back(f);
    }

    /// Disarms everything.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// What is still armed.
    pub fn list(&self) -> Vec<Fault> {
        self.lock().iter().cloned().collect()
    }

    /// The fault for this request to `path`, if one is armed (and uses it up).
    pub fn take(&self, path: &str) -> Option<FaultKind> {
        let mut armed = self.lock();
        let i = armed.iter().position(|f| f.path == path)?;
        let f = &mut armed[i];
        let kind = f.kind;
        f.times -= 1;
        if f.times == 0 {
            armed.remove(i);
        }
        Some(kind)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Fault, String> {
        serde_json::from_str::<FaultSpec>(s).map_err(|e| e.to_string())?.fault()
    }

    #[test]
    fn faults_are_used_up_in_order_per_path() {
        let faults = Faults::default();
        faults.add(parse(r#"{"path": "/api/auth/refresh", "kind": "status", "times": 2}"#).unwrap());
        faults.add(parse(r#"{"path": "/api/keepalive", "kind": "hang", "ms": 5}"#).unwrap());
        faults.add(parse(r#"{"path": "/api/auth/refresh", "kind": "malformed"}"#).unwrap());
        assert_eq!(faults.list().len(), 3);
        assert_eq!(faults.take("/api/keepalive"), Some(FaultKind::Hang(5)));
        assert_eq!(faults.take("/api/keepalive"), None);
        for _ in 0..2 {
            assert_eq!(faults.take("/api/auth/refresh"), Some(FaultKind::Status(503)));
        }
        assert_eq!(faults.take("/api/auth/refresh"), Some(FaultKind::Malformed));
        assert_eq!(faults.take("/api/auth/refresh"), None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn bad_faults_are_refused() {
        for bad in [
            r#"{"path": "/api/x", "kind": "explode"}"#,
            r#"{"path": "/api/x", "kind": "status", "bogus": 1}"#,
            r#"{"path": "/api/test/reset", "kind": "malformed"}"#,
            r#"{"path": "/api/auth/refresh", "kind": "status", "status": 200}"#,
            r#"{"path": "/api/auth/refresh", "kind": "malformed", "times": 0}"#,
            r#"{"path": "/api/auth/refresh", "kind": "hang", "status": 503}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let ok = parse(r#"{"path": "/api/auth/refresh", "kind": "status", "status": 401, "times": 3}"#).unwrap();
        assert_eq!(ok.to_json()["status"], 401);
    }
}
