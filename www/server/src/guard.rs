//! Who sends a request: the cross-site guard of the state-changing endpoints,
//! and the client address a login allowance is kept under.
//!
//! Cross-site guard. Login, refresh, logout and keepalive change what the
//! browser's cookies stand for, so a page on another site must not be able to
//! send them with the user's cookies. A request passes when it carries
//! `X-Requested-With` (any value: the SDK sends `XMLHttpRequest` by default;
//! a cross-origin page cannot add it without a CORS preflight, which this
//! server never grants), or else an `Origin` naming this server's own host
//! (browsers set `Origin` on every POST and pages cannot forge it). Either
//! way, `Sec-Fetch-Site: cross-site` (also set by the browser) is refused.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Why a state-changing request is refused (403), or `None` to let it through.
pub fn cross_site_refusal(headers: &HeaderMap) -> Option<&'static str> {
    if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site")) {
        return Some("cross-site request refused");
    }
    if headers.contains_key("x-requested-with") || same_origin(headers) {
        None
    } else {
        Some("missing X-Requested-With header (or an Origin of this server)")
    }
}

/// `Origin` names the host the request was sent to (`Host`, or the
/// `X-Forwarded-Host` a proxy in front set). The scheme is not compared: the
/// server itself only sees plain http.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(authority) = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) else {
        return false; // "null", or something no browser sends
    };
    let forwarded = headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    [host, forwarded].into_iter().flatten().any(|h| !h.is_empty() && h.trim().eq_ignore_ascii_case(authority))
}

/// `Content-Type` is `application/json` (parameters such as `charset` allowed).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// The peer address of the request's connection, which the server
/// (`crate::server`) puts on every request; `None` elsewhere (a router
/// driven without it).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// The client's address as a login allowance sees it: from `header` when the
/// server is told a proxy sets it (for a list such as `X-Forwarded-For`, its
/// last entry, the one the proxy added), else the peer address. An IPv6
/// client counts by its /64, which one user usually holds whole.
pub fn client_address(headers: &HeaderMap, peer: Peer, header: Option<&str>) -> String {
    let told = header
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    match told.or(peer.0.map(|p| p.ip())) {
        Some(IpAddr::V4(a)) => a.to_string(),
        Some(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".into(),
    }
}

/// The store key of an allowance: `kind` ("account" or "client") and a digest
/// of the value, so a long email costs no more memory than a short one.
pub fn allowance_key(kind: &str, value: &str) -> String {
    let d = Sha256::new().chain_update(kind.as_bytes()).chain_update(b":").chain_update(value.as_bytes()).finalize();
    format!("{kind}:{}", B64.encode(&d[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn custom_header_or_own_origin_passes_cross_site_never() {
        assert_eq!(cross_site_refusal(&headers(&[("x-requested-with", "XMLHttpRequest")])), None);
        assert_eq!(cross_site_refusal(&headers(&[("host", "a.test:8080"), ("origin", "http://a.test:8080")])), None);
        let proxied = [("host", "backend:8080"), ("x-forwarded-host", "app.test"), ("origin", "https://app.test")];
        assert_eq!(cross_site_refusal(&headers(&proxied)), None);
        assert!(cross_site_refusal(&headers(&[])).is_some());
        assert!(cross_site_refusal(&headers(&[("host", "a.test"), ("origin", "https://evil.test")])).is_some());
        assert!(cross_site_refusal(&headers(&[("host", "a.test"), ("origin", "null")])).is_some());
        let forged = [("x-requested-with", "x"), ("sec-fetch-site", "cross-site")];
        assert!(cross_site_refusal(&headers(&forged)).is_some());
    }

    #[test]
    fn content_type_must_be_json() {
        assert!(is_json(&headers(&[("content-type", "application/json; charset=utf-8")])));
        assert!(!is_json(&headers(&[("content-type", "text/plain")])));
        assert!(!is_json(&headers(&[])));
    }

    #[test]
    fn client_address_from_peer_or_the_proxy_header() {
        let peer = Peer(Some("10.0.0.1:5000".parse().unwrap()));
        assert_eq!(client_address(&headers(&[]), peer, None), "10.0.0.1");
        let xff = headers(&[("x-forwarded-for", "1.2.3.4, 5.6.7.8")]);
        assert_eq!(client_address(&xff, peer, Some("x-forwarded-for")), "5.6.7.8");
        assert_eq!(client_address(&xff, peer, None), "10.0.0.1", "ignored unless configured");
        assert_eq!(client_address(&headers(&[]), peer, Some("x-real-ip")), "10.0.0.1");
        let v6 = Peer(Some("[2001:db8:1:2:3:4:5:6]:1".parse().unwrap()));
        assert_eq!(client_address(&headers(&[]), v6, None), "2001:db8:1:2::/64");
        assert_eq!(client_address(&headers(&[]), Peer(None), None), "unknown");
    }
}
