//! Redis implementation of [`Store`]. Each session is one hash `ksa:s:<id>`
//! whose TTL tracks min(idle, absolute) expiry, so abandoned sessions vanish
//! on their own. Every read-modify-write is a Lua script: Redis runs scripts
//! atomically, so two server instances can never both rotate one refresh
//! token (compare-counter-and-increment happens inside Redis). The scripts
//! read Redis' clock (`TIME`), so the `now` arguments of [`Store`] are unused
//! here; the instance's test clock offset (see [`Clock`], 0 outside tests)
//! is added to it, as the last argument of every script.
//! Needs Redis >= 5 (scripts that write after `TIME`).

use std::sync::Arc;

use redis::aio::ConnectionManager;
use redis::Script;

use crate::clock::Clock;
use crate::store::{BoxFut, Keepalive, Millis, Policy, Refresh, Store, StoreError};

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

/// KEYS[1] session; ARGV email, absolute ms, idle ms, "1" for a refresh family.
const CREATE: &str = r#"
local absolute, idle = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'email', ARGV[1], 'abs_exp', now + absolute)
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'counter', 0, 'rotated_at', now) end
touch(KEYS[1], idle, now + absolute)
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
/// Returns {0} dead, {1, counter, email} rotated, {2, counter, email} grace,
/// {3} reuse detected (session deleted). Same rule as `MemoryStore::refresh`.
const REFRESH: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'last_seen', 'abs_exp', 'counter', 'rotated_at', 'email')
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
  redis.call('HSET', KEYS[1], 'counter', cur + 1, 'rotated_at', now)
  touch(KEYS[1], idle, abs)
  return {1, cur + 1, v[5]}
elseif n + 1 == cur and math.max(0, now - tonumber(v[4])) < grace then
  touch(KEYS[1], idle, abs)
  return {2, cur, v[5]}
end
redis.call('DEL', KEYS[1])
return {3, 0, ''}
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
}

fn key(id: &str) -> String {
    format!("ksa:s:{id}")
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
                .arg(email)
                .arg(p.absolute_ms)
                .arg(p.idle_ms)
                .arg(family)
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
}
