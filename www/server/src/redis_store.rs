//! Redis implementation of [`Store`]. Each session is one hash `ksa:s:<id>`
//! whose TTL tracks min(idle, absolute) expiry, so abandoned sessions vanish
//! on their own. Every read-modify-write is a Lua script: Redis runs scripts
//! atomically, so two server instances can never both rotate one refresh
//! token (compare-counter-and-increment happens inside Redis). The scripts
//! read Redis' clock (`TIME`), so the `now` arguments of [`Store`] are unused
//! here; the instance's test clock offset (see [`Clock`], 0 outside tests)
//! is added to it, as the last argument of every script.
//! Needs Redis >= 5 (scripts that write after `TIME`), and one Redis, not a
//! Cluster: a login's script deletes the user's oldest sessions, whose keys
//! it reads from the user's set rather than from its arguments.
//!
//! Keys: `ksa:s:<id>` a session (hash); `ksa:u:<user>` the user's sessions
//! (sorted set of session keys by login time, with the absolute lifetime as
//! TTL); `ksa:t:<key>` a login allowance (the time it is whole again, with
//! that as TTL); `ksa:secret` the shared signing secret.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use redis::Script;

use crate::clock::Clock;
use crate::store::{Allowance, BoxFut, Keepalive, Millis, Policy, Refresh, Store, StoreError};

const SECRET_KEY: &str = "ksa:secret";

/// Prelude of every script. Time comes from Redis' own clock, not from the
/// instance: all instances then agree on one clock, and a request stamped
/// before a concurrent rotation cannot look "older than the rotation".
/// Expiry fields are checked explicitly as well as by TTL, because TTLs are
/// only as precise as Redis' expiry sweep.
const PRELUDE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[#ARGV])
local function touch(key, idle, abs)
  redis.call('HSET', key, 'last_seen', now)
  redis.call('PEXPIRE', key, math.max(1, math.min(idle, abs - now)))
end
"#;

/// KEYS[1] session, KEYS[2] the user's set of sessions; ARGV email,
/// absolute ms, idle ms, "1" for a refresh family, sessions kept per user.
/// The user's sessions that are gone are dropped from the set, then the
/// oldest beyond the bound are deleted.
const CREATE: &str = r#"
local absolute, idle, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'email', ARGV[1], 'abs_exp', now + absolute)
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'counter', 0, 'rotated_at', now, 'graced', 0) end
touch(KEYS[1], idle, now + absolute)
local live = {}
for _, k in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('EXISTS', k) == 1 then table.insert(live, k) else redis.call('ZREM', KEYS[2], k) end
end
local over = #live + 1 - max
for _, k in ipairs(live) do
  if over <= 0 then break end
  redis.call('DEL', k)
  redis.call('ZREM', KEYS[2], k)
  over = over - 1
end
redis.call('ZADD', KEYS[2], now, KEYS[1])
redis.call('PEXPIRE', KEYS[2], absolute)
return 1
"#;

/// KEYS[1] session; ARGV idle, min interval.
/// Returns {0} no session, {1} accepted, {2, retry_ms} rate-limited.
const KEEPALIVE: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'last_seen', 'abs_exp', 'last_ka')
local idle, min = tonumber(ARGV[1]), tonumber(ARGV[2])
if not v[1] then return {0, 0} end
local abs = tonumber(v[2])
if now >= tonumber(v[1]) + idle or now >= abs then
  redis.call('DEL', KEYS[1])
  return {0, 0}
end
if v[3] then
  local since = math.max(0, now - tonumber(v[3]))
  if since < min then return {2, min - since} end
end
redis.call('HSET', KEYS[1], 'last_ka', now)
touch(KEYS[1], idle, abs)
return {1, 0}
"#;

/// KEYS[1] session; ARGV idle. Returns the email, or false: no live session.
const TOUCH: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'last_seen', 'abs_exp', 'email')
local idle = tonumber(ARGV[1])
if not v[1] then return false end
local abs = tonumber(v[2])
if now >= tonumber(v[1]) + idle or now >= abs then
  redis.call('DEL', KEYS[1])
  return false
end
touch(KEYS[1], idle, abs)
return v[3]
"#;

/// KEYS[1] session; ARGV presented counter, idle, grace.
/// Returns {0} dead, {1, counter, email} rotated, {2, counter, email} grace
/// (once per rotation), {3} reuse detected (session deleted). Same rule as
/// `MemoryStore::refresh`.
const REFRESH: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'last_seen', 'abs_exp', 'counter', 'rotated_at', 'email', 'graced')
local n, idle, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if not v[1] then return {0, 0, ''} end
local abs = tonumber(v[2])
if now >= tonumber(v[1]) + idle or now >= abs then
  redis.call('DEL', KEYS[1])
  return {0, 0, ''}
end
if not v[3] then return {0, 0, ''} end
local cur = tonumber(v[3])
if n == cur then
  redis.call('HSET', KEYS[1], 'counter', cur + 1, 'rotated_at', now, 'graced', 0)
  touch(KEYS[1], idle, abs)
  return {1, cur + 1, v[5]}
elseif n + 1 == cur and math.max(0, now - tonumber(v[4])) < grace and v[6] ~= '1' then
  redis.call('HSET', KEYS[1], 'graced', 1)
  touch(KEYS[1], idle, abs)
  return {2, cur, v[5]}
end
redis.call('DEL', KEYS[1])
return {3, 0, ''}
"#;

/// KEYS[1] allowance; ARGV interval ms, tolerance ms. Returns 0 admitted
/// (the "whole again" time moved one interval on), or the ms until the next
/// attempt is admitted. Same rule as [`Allowance::take`].
const TAKE_ATTEMPT: &str = r#"
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
if tat - now > tolerance then return tat - now - tolerance end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now)
return 0
"#;

/// KEYS[1] allowance; ARGV interval ms, "1" to give back the whole allowance.
const GIVE_BACK: &str = r#"
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local back = now
if ARGV[2] ~= '1' then back = tat - tonumber(ARGV[1]) end
if back <= now then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], back, 'PX', back - now) end
return 0
"#;

/// KEYS[1] secret key; ARGV candidate. First writer wins.
const SECRET: &str = r#"
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
"#;

/// Sessions in Redis, through a reconnecting connection manager.
pub struct RedisStore {
    policy: Policy,
    conn: ConnectionManager,
    clock: Arc<Clock>,
    create: Script,
    keepalive: Script,
    touch: Script,
    refresh: Script,
    secret: Script,
    take_attempt: Script,
    give_back: Script,
}

fn key(id: &str) -> String {
    format!("ksa:s:{id}")
}

fn user_key(email: &str) -> String {
    format!("ksa:u:{email}")
}

fn err(e: redis::RedisError) -> StoreError {
    StoreError(e.to_string())
}

impl RedisStore {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379/`); `clock` gives the
    /// test offset added to Redis' time.
    pub async fn connect(url: &str, policy: Policy, clock: Arc<Clock>) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(err)?;
        let conn = client.get_connection_manager().await.map_err(err)?;
        Ok(RedisStore {
            policy,
            conn,
            clock,
            create: Script::new(&format!("{PRELUDE}{CREATE}")),
            keepalive: Script::new(&format!("{PRELUDE}{KEEPALIVE}")),
            touch: Script::new(&format!("{PRELUDE}{TOUCH}")),
            refresh: Script::new(&format!("{PRELUDE}{REFRESH}")),
            secret: Script::new(SECRET),
            take_attempt: Script::new(&format!("{PRELUDE}{TAKE_ATTEMPT}")),
            give_back: Script::new(&format!("{PRELUDE}{GIVE_BACK}")),
        })
    }
}

impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn shared_secret(&self, candidate: Vec<u8>) -> BoxFut<'_, Vec<u8>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            self.secret.key(SECRET_KEY).arg(candidate).invoke_async(&mut c).await.map_err(err)
        })
    }

    fn create(&self, id: String, email: String, with_family: bool, _now: Millis) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let p = self.policy;
            let mut c = self.conn.clone();
            let family = if with_family { "1" } else { "0" };
            let _: i64 = self
                .create
                .key(key(&id))
                .key(user_key(&email))
                .arg(email)
                .arg(p.absolute_ms)
                .arg(p.idle_ms)
                .arg(family)
                .arg(p.max_sessions_per_user)
                .arg(self.clock.offset_ms())
                .invoke_async(&mut c)
                .await
                .map_err(err)?;
            Ok(())
        })
    }

    fn keepalive(&self, id: String, _now: Millis) -> BoxFut<'_, Keepalive> {
        Box::pin(async move {
            let p = self.policy;
            let mut c = self.conn.clone();
            let (code, retry): (i64, u64) = self
                .keepalive
                .key(key(&id))
                .arg(p.idle_ms)
                .arg(p.keepalive_min_ms)
                .arg(self.clock.offset_ms())
                .invoke_async(&mut c)
                .await
                .map_err(err)?;
            Ok(match code {
                1 => Keepalive::Accepted,
                2 => Keepalive::RateLimited { retry_after_ms: retry },
                _ => Keepalive::NoSession,
            })
        })
    }

    fn touch(&self, id: String, _now: Millis) -> BoxFut<'_, Option<String>> {
        Box::pin(async move {
            let p = self.policy;
            let mut c = self.conn.clone();
            self.touch.key(key(&id)).arg(p.idle_ms).arg(self.clock.offset_ms()).invoke_async(&mut c).await.map_err(err)
        })
    }

    fn refresh(&self, id: String, counter: u64, _now: Millis) -> BoxFut<'_, Refresh> {
        Box::pin(async move {
            let p = self.policy;
            let mut c = self.conn.clone();
            let (code, current, email): (i64, u64, String) = self
                .refresh
                .key(key(&id))
                .arg(counter)
                .arg(p.idle_ms)
                .arg(p.grace_ms)
                .arg(self.clock.offset_ms())
                .invoke_async(&mut c)
                .await
                .map_err(err)?;
            Ok(match code {
                1 => Refresh::Rotated { email, counter: current },
                2 => Refresh::Grace { email, counter: current },
                3 => Refresh::ReuseDetected,
                _ => Refresh::Dead,
            })
        })
    }

    fn revoke(&self, id: String) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            redis::cmd("DEL").arg(key(&id)).query_async::<()>(&mut c).await.map_err(err)
        })
    }

    fn take_attempt(&self, k: String, allowance: Allowance, _now: Millis) -> BoxFut<'_, Option<u64>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let retry: u64 = self
                .take_attempt
                .key(format!("ksa:t:{k}"))
                .arg(allowance.interval_ms())
                .arg(allowance.tolerance_ms())
                .arg(self.clock.offset_ms())
                .invoke_async(&mut c)
                .await
                .map_err(err)?;
            Ok((retry > 0).then_some(retry))
        })
    }

    fn give_back(&self, k: String, allowance: Allowance, whole: bool, _now: Millis) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let _: i64 = self
                .give_back
                .key(format!("ksa:t:{k}"))
                .arg(allowance.interval_ms())
                .arg(if whole { "1" } else { "0" })
                .arg(self.clock.offset_ms())
                .invoke_async(&mut c)
                .await
                .map_err(err)?;
            Ok(())
        })
    }
}
