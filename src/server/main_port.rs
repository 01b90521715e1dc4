//! The main port's connections: a new connection whose first request is an
//! announce or scrape is answered straight from the accept loop, as on the
//! TRACKER_BIND port (most torrent clients open a connection per announce);
//! every other connection, with whatever was already read, goes to hyper and
//! the warp routes. Stopping closes the listener and lets open requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::state::AppState;
use crate::tracker::http1;
use crate::tracker::Tracker;

/// The connection's remote address, as a request extension for the routes
/// (see `filters::origin`).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Serves the main port until `stop` turns true, then waits for open requests.
pub async fn serve(
    listener: std::net::TcpListener,
    routes: BoxedFilter<(Response,)>,
    tracker: Arc<Tracker>,
    state: Arc<AppState>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let listener = http1::prepare(listener)?;
    let graceful = GracefulShutdown::new();
    http1::accept_loop(listener, stop, |stream, remote| {
        let Some(conn) =
            http1::first_contact(&stream, remote, &tracker, &state, http1::is_tracker_request)
        else {
            return;
        };
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            return;
        };
        let watcher = graceful.watcher();
        let svc = WithPeer {
            inner: warp::service(routes.clone()),
            peer: remote,
        };
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let (read, mut write) = stream.into_split();
            if !conn.out.is_empty() && write.write_all(&conn.out).await.is_err() {
                return;
            }
            if !conn.open {
                return;
            }
            // hyper reads what the accept loop already took first.
            let read = tokio::io::AsyncReadExt::chain(std::io::Cursor::new(conn.buf), read);
            let io = TokioIo::new(tokio::io::join(read, write));
            let builder = auto::Builder::new(TokioExecutor::new());
            let served = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(svc));
            if let Err(e) = watcher.watch(served).await {
                tracing::debug!("connection from {remote} ended: {e}");
            }
        });
    })
    .await;
    graceful.shutdown().await;
    Ok(())
}

/// The warp service with the connection's address put on every request.
#[derive(Clone)]
struct WithPeer<S> {
    inner: S,
    peer: SocketAddr,
}

impl<S, B> tower_service::Service<warp::http::Request<B>> for WithPeer<S>
where
    S: tower_service::Service<warp::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: warp::http::Request<B>) -> Self::Future {
        req.extensions_mut().insert(PeerAddr(self.peer));
        self.inner.call(req)
    }
}
