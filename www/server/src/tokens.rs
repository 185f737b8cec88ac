//! Token formats: HS256 access JWTs and MAC-protected refresh tokens.
//!
//! Both are keyed from one secret. The refresh token is `family.counter.mac`
//! with `mac = HMAC-SHA256(secret, "rt:" family "." counter)`, so the server can
//! recompute the family's *current* token from its counter alone (the grace
//! reply needs that) and reject forged tokens before touching the store.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// `{"alg":"HS256","typ":"JWT"}`, base64url-encoded once.
const JWT_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// `n` random bytes from the OS.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    b
}

/// A fresh 128-bit identifier, base64url (22 chars). Used for session ids,
/// which double as refresh-family ids.
pub fn new_id() -> String {
    B64.encode(random_bytes(16))
}

/// Access-token claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's email.
    pub sub: String,
    /// An opaque reference to the server session the token was issued for:
    /// [`session_ref`] of its id, never the id itself. The id is the value of
    /// the HttpOnly session cookie, and this token is readable by the page's
    /// scripts; the reference lets the server relate a token to its session
    /// without handing script the cookie.
    pub sid: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: u64,
}

/// Why an access token was rejected; counted separately.
#[derive(Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Well-formed and correctly signed, but past `exp`.
    Expired,
    /// Anything else: bad shape, bad signature, bad claims.
    Invalid,
}

/// The signing secret, normalised once to one HMAC-SHA256 block exactly as
/// HMAC itself would (long keys hashed, short keys zero-padded), so keying a
/// MAC per request is infallible.
#[derive(Clone)]
pub struct Secret([u8; 64]);

impl Secret {
    /// Normalises a secret of any length.
    pub fn new(raw: &[u8]) -> Secret {
        let mut block = [0u8; 64];
        if raw.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(raw));
        } else {
            block[..raw.len()].copy_from_slice(raw);
        }
        Secret(block)
    }
}

fn mac(secret: &Secret, parts: &[&[u8]]) -> HmacSha256 {
    let mut m = <HmacSha256 as KeyInit>::new(&secret.0.into());
    for p in parts {
        m.update(p);
    }
    m
}

/// Signs `claims` as an HS256 JWT.
pub fn sign_jwt(secret: &Secret, claims: &Claims) -> String {
    // Serialising a struct of strings and integers cannot fail.
    let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
    let sig = mac(secret, &[JWT_HEADER.as_bytes(), b".", payload.as_bytes()]).finalize();
    format!("{JWT_HEADER}.{payload}.{}", B64.encode(sig.into_bytes()))
}

/// Verifies signature and expiry (`now_secs >= exp` is expired).
pub fn verify_jwt(secret: &Secret, token: &str, now_secs: u64) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Invalid);
    };
    // Only our own fixed header is accepted: no `alg` negotiation at all.
    if header != JWT_HEADER {
        return Err(JwtError::Invalid);
    }
    let sig = B64.decode(sig).map_err(|_| JwtError::Invalid)?;
    mac(secret, &[header.as_bytes(), b".", payload.as_bytes()]).verify_slice(&sig).map_err(|_| JwtError::Invalid)?;
    let json = B64.decode(payload).map_err(|_| JwtError::Invalid)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| JwtError::Invalid)?;
    if now_secs >= claims.exp {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

/// The access token's reference to session `id`: a MAC of the id under the
/// server's secret (128 bits, base64url), so it names the session to the
/// server but cannot be turned back into the session cookie.
pub fn session_ref(secret: &Secret, id: &str) -> String {
    let m = mac(secret, &[b"sid:", id.as_bytes()]).finalize().into_bytes();
    B64.encode(&m[..16])
}

/// The refresh token for `counter` in `family`.
pub fn refresh_token(secret: &Secret, family: &str, counter: u64) -> String {
    let c = counter.to_string();
    let m = mac(secret, &[b"rt:", family.as_bytes(), b".", c.as_bytes()]).finalize();
    format!("{family}.{c}.{}", B64.encode(m.into_bytes()))
}

/// Splits and authenticates a refresh token; `None` if malformed or forged.
pub fn parse_refresh_token(secret: &Secret, token: &str) -> Option<(String, u64)> {
    let mut parts = token.split('.');
    let (Some(family), Some(c), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let counter: u64 = c.parse().ok()?;
    let sig = B64.decode(sig).ok()?;
    mac(secret, &[b"rt:", family.as_bytes(), b".", c.as_bytes()]).verify_slice(&sig).ok()?;
    Some((family.to_string(), counter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Secret {
        Secret::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn jwt_round_trip_expiry_and_tamper() {
        let c = Claims { sub: "a@b".into(), sid: "s".into(), iat: 100, exp: 130 };
        let t = sign_jwt(&s(), &c);
        assert_eq!(verify_jwt(&s(), &t, 129), Ok(c));
        assert_eq!(verify_jwt(&s(), &t, 130), Err(JwtError::Expired));
        assert_eq!(verify_jwt(&Secret::new(b"other-secret"), &t, 100), Err(JwtError::Invalid));
        let mut forged = t.clone();
        forged.insert(40, 'x');
        assert_eq!(verify_jwt(&s(), &forged, 100), Err(JwtError::Invalid));
        assert_eq!(verify_jwt(&s(), "garbage", 100), Err(JwtError::Invalid));
    }

    #[test]
    fn session_ref_is_stable_keyed_and_not_the_id() {
        let r = session_ref(&s(), "the-session-id");
        assert_eq!(r, session_ref(&s(), "the-session-id"));
        assert_eq!(r.len(), 22);
        assert!(!r.contains("the-session-id"));
        assert_ne!(r, session_ref(&s(), "another-session-id"));
        assert_ne!(r, session_ref(&Secret::new(b"other-secret"), "the-session-id"));
    }

    #[test]
    fn refresh_token_round_trip_and_forgery() {
        let t = refresh_token(&s(), "fam", 7);
        assert_eq!(parse_refresh_token(&s(), &t), Some(("fam".into(), 7)));
        let forged = t.replacen(".7.", ".8.", 1);
        assert_eq!(parse_refresh_token(&s(), &forged), None);
        assert_eq!(parse_refresh_token(&s(), "a.b"), None);
    }
}
