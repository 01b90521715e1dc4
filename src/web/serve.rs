//! Serving warp routes over hyper: the connection's address on every request
//! (for `filters::origin`), and a graceful stop that closes the listener and
//! lets open requests finish.

use std::net::SocketAddr;
use std::task::{Context, Poll};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use warp::filters::BoxedFilter;
use warp::reply::Response;

/// The connection's remote address, as a request extension for the routes.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Serves one accepted connection (HTTP/1.1 or h2) with `routes`, until it
/// closes or a graceful stop has let its requests finish.
pub async fn connection<I>(
    io: I,
    peer: SocketAddr,
    routes: BoxedFilter<(Response,)>,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = WithPeer {
        inner: super::catch_panic::CatchPanic::new(warp::service(routes)),
        peer,
    };
    let builder = auto::Builder::new(TokioExecutor::new());
    let served = builder.serve_connection_with_upgrades(
        TokioIo::new(io),
        hyper_util::service::TowerToHyperService::new(svc),
    );
    if let Err(e) = watcher.watch(served).await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// Serves `routes` on `listener` until `stop` turns true, then waits for the
/// open requests (a surface without the tracker's accept-loop fast path).
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: BoxedFilter<(Response,)>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, peer, routes.clone(), graceful.watcher()));
                }
                // E.g. out of file descriptors: keep serving the open connections.
                Err(e) => tracing::warn!("accept failed: {e}"),
            },
        }
    }
    drop(listener);
    graceful.shutdown().await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use warp::{Filter, Reply};

    #[tokio::test]
    async fn serves_with_the_peer_address_and_stops_gracefully() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = warp::ext::optional::<PeerAddr>()
            .map(|p: Option<PeerAddr>| p.map(|p| p.0.ip().to_string()).unwrap_or_default())
            .map(Reply::into_response)
            .boxed();
        let (tx, rx) = watch::channel(false);
        let server = tokio::spawn(serve(listener, routes, rx));
        let body = reqwest::get(format!("http://{addr}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "127.0.0.1");
        tx.send(true).unwrap();
        server.await.unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "listener closed"
        );
    }
}
