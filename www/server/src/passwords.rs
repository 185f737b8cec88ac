//! Password checks with bounded memory. Argon2 takes its memory cost (19 MiB
//! by default) for every hash, so concurrent logins multiply it. Here at most
//! `max_concurrent_hashes` hashes run at once (a semaphore), each in one of as
//! many reused memory buffers: what logins can take is that many buffers,
//! allocated once. (A fresh buffer per hash, freed afterwards, is not enough:
//! the allocator keeps freed memory per thread, and the blocking pool's
//! threads come and go, so the process still grew by a buffer per thread.)

use std::sync::{Arc, Mutex};

use argon2::password_hash::Output;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use crate::counters::Counters;

/// Checks passwords against argon2 PHC strings, a bounded number at once.
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Memory buffers not in use; at most one per permit ever exists.
    buffers: Mutex<Vec<Vec<Block>>>,
    /// `hashes` counts the checks running, and their peak.
    counters: Arc<Counters>,
}

impl Passwords {
    /// At most `max_at_once` (at least 1) checks run at once; further ones wait.
    pub fn new(max_at_once: usize, counters: Arc<Counters>) -> Self {
        Passwords { permits: Arc::new(Semaphore::new(max_at_once.max(1))), buffers: Mutex::default(), counters }
    }

    /// Whether `password` matches the PHC string `phc`; off the async workers,
    /// once a permit is free. A malformed `phc` never matches.
    pub async fn verify(self: &Arc<Self>, phc: String, password: String) -> bool {
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return false; // the semaphore is never closed
        };
        let me = self.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _running = me.counters.hashes.enter();
            let mut buffer = me.buffers.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
            let ok = verify_in(&mut buffer, password.as_bytes(), &phc);
            me.buffers.lock().unwrap_or_else(|e| e.into_inner()).push(buffer);
            ok
        });
        checked.await.unwrap_or(false)
    }
}

/// What argon2's `PasswordVerifier` does, with the caller's memory: recompute
/// the hash with the PHC string's algorithm, version, parameters and salt,
/// and compare in constant time (`Output`'s `==`). `buffer` grows to the
/// parameters' size and is kept for the next check.
pub fn verify_in(buffer: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(version) = hash.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let blocks = params.block_count();
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    argon2.hash_password_into_with_memory(password, salt, &mut out, &mut buffer[..blocks]).is_ok()
        && Output::new(&out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, SaltString};

    fn phc(password: &str, m_kib: u32) -> String {
        let params = Params::new(m_kib, 2, 1, None).unwrap();
        let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut rand_core::OsRng);
        hasher.hash_password(password.as_bytes(), &salt).unwrap().to_string()
    }

    #[test]
    fn verifies_like_argon2_with_one_reused_buffer() {
        let (small, large) = (phc("right", 64), phc("right", 256));
        let mut buffer = Vec::new();
        assert!(verify_in(&mut buffer, b"right", &small));
        assert!(!verify_in(&mut buffer, b"wrong", &small));
        assert!(verify_in(&mut buffer, b"right", &large), "the buffer grows");
        assert_eq!(buffer.len(), 256);
        assert!(verify_in(&mut buffer, b"right", &small), "and serves smaller costs too");
        assert!(!verify_in(&mut buffer, b"right", "not a phc string"));
        let v1 = phc("right", 64);
        assert!(argon2::PasswordVerifier::verify_password(
            &Argon2::default(),
            b"right",
            &PasswordHash::new(&v1).unwrap()
        )
        .is_ok());
    }
}
