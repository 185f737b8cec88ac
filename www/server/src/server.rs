//! Serving connections: the accept loop with a cap on connections served at
//! once, and hyper's HTTP/1 connection with a timer. `axum::serve` gives
//! hyper no timer, and without one no header read timeout applies: a client
//! that sends a partial header, trickles it, or sends nothing held its
//! connection forever. Here the header (and, on a kept-alive connection, the
//! next request's header) must arrive within `header_read_timeout`; the body
//! deadline is [`crate::body`]'s. Each request carries its connection's peer
//! address as `ConnectInfo<SocketAddr>` (see [`crate::guard::Peer`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

use crate::counters::Counters;

/// Most bytes buffered for one connection's request head (hyper's default is
/// about 400 KiB); 64 KiB is far above what browsers send.
const MAX_HEAD_BUF: usize = 64 * 1024;

/// How long a shutdown waits for requests in progress.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What bounds the connections.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time a client has to send a request header, and the most a kept-alive
    /// connection waits for the next one.
    pub header_read_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and gives the requests in progress [`SHUTDOWN_GRACE`] to finish.
/// `counters.connections` counts the connections being served.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    counters: Arc<Counters>,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_buf_size(MAX_HEAD_BUF);
    tokio::pin!(shutdown);
    loop {
        // A free slot first, then accept: at the cap, clients queue in the
        // kernel's backlog rather than in this process.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    eprintln!("ksa-server: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().call(req.map(Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let counters = counters.clone();
        tokio::spawn(async move {
            let _open = counters.connections.enter();
            // An error is the client's: it left, or ran out of time.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
