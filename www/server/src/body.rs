//! Request bodies are read whole, within `body_read_timeout` and
//! [`BODY_LIMIT`], before any route runs. hyper has no body timeout: without
//! this, a client that sends a header and then trickles its body, or sends
//! none of it, holds its connection as long as it likes. Late: 408 and the
//! connection is closed. Too long: 413, as soon as `Content-Length` says so.
//! Every body this server takes is small JSON, so buffering costs nothing.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::api::{ApiError, BODY_LIMIT};

enum Failed {
    TooLarge,
    Broken,
}

/// Middleware: the request continues with its body in memory, or is answered
/// 408 / 413 / 400 here. The state is the body read timeout.
pub async fn read_in_time(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return closing(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body over 16 KiB"));
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(timeout, collect(body)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(Failed::TooLarge)) => closing(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body over 16 KiB")),
        Ok(Err(Failed::Broken)) => closing(ApiError::new(StatusCode::BAD_REQUEST, "request body could not be read")),
        Err(_) => closing(ApiError::new(StatusCode::REQUEST_TIMEOUT, "request body not received in time")),
    }
}

/// The error, and the connection closes after it: the rest of the body is
/// never read.
fn closing(err: ApiError) -> Response {
    let mut r = err.into_response();
    r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

async fn collect(mut body: Body) -> Result<Bytes, Failed> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| Failed::Broken)?.into_data() else {
            continue; // trailers
        };
        if buf.len() + data.len() > BODY_LIMIT {
            return Err(Failed::TooLarge);
        }
        buf.extend_from_slice(&data);
    }
    Ok(Bytes::from(buf))
}
