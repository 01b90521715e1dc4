//! Serving warp routes over hyper: the connection's address on every request
//! (for `filters::origin`), the listener's [`Limits`] (connection cap, head and
//! idle timeouts, over-long targets), and a bounded graceful stop that closes the listener, lets
//! open requests finish for `drain`, then closes the rest.

use std::net::SocketAddr;
use std::task::{Context, Poll};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};

use super::limits::{Activity, Cap, Limits, Slot, Watched};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use warp::filters::BoxedFilter;
use warp::reply::Response;

/// The connection's remote address, as a request extension for the routes.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// One accepted connection to serve: its I/O, address and open-connection slot.
pub struct Accepted<I> {
    pub io: I,
    pub peer: SocketAddr,
    pub slot: Slot,
    /// Whether the first bytes of a request were already read (they are in `io`).
    pub head_started: bool,
    /// The answer to a request target too long for hyper.
    pub refusal: super::long_target::Refusal,
}

/// Serves one accepted connection (HTTP/1.1 or h2) with `routes`, until it
/// closes, breaks a limit, or a graceful stop has let its requests finish.
pub async fn connection<I>(
    conn: Accepted<I>,
    routes: BoxedFilter<(Response,)>,
    watcher: Watcher,
    limits: Limits,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Accepted {
        io,
        peer,
        slot,
        head_started,
        refusal,
    } = conn;
    let activity = Activity::new(head_started);
    let svc = WithPeer {
        inner: super::catch_panic::CatchPanic::new(warp::service(routes)),
        peer,
        activity: activity.clone(),
    };
    let builder = auto::Builder::new(TokioExecutor::new());
    let served = builder.serve_connection_with_upgrades(
        TokioIo::new(Watched::new(io, activity.clone(), refusal)),
        hyper_util::service::TowerToHyperService::new(svc),
    );
    let served = async {
        if let Err(e) = watcher.watch(served).await {
            tracing::debug!(%peer, "connection ended: {e}");
        }
    };
    super::limits::until_expired(served, &activity, &limits, peer).await;
    drop(slot);
}

/// Serves `routes` on `listener` with the default [`Limits`] until `stop`
/// turns true (a surface without the tracker's accept-loop fast path).
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: BoxedFilter<(Response,)>,
    stop: watch::Receiver<bool>,
) {
    serve_with(listener, routes, stop, Limits::default()).await
}

/// `serve` with these limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    routes: BoxedFilter<(Response,)>,
    stop: watch::Receiver<bool>,
    limits: Limits,
) {
    let graceful = GracefulShutdown::new();
    let cap = Cap::new(limits.max_connections);
    let mut backoff = super::limits::AcceptBackoff::default();
    let stopped = stopped(stop);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff.succeeded();
                    // Over the cap: dropped, so closed at once.
                    let Some(slot) = cap.admit() else { continue };
                    let _ = stream.set_nodelay(true);
                    let conn = Accepted {
                        io: stream,
                        peer,
                        slot,
                        head_started: false,
                        refusal: super::long_target::json_refusal,
                    };
                    tokio::spawn(connection(conn, routes.clone(), graceful.watcher(), limits));
                }
                // E.g. out of file descriptors: keep serving the open connections.
                Err(e) => backoff.failed("http", &e).await,
            },
        }
    }
    drop(listener);
    drain(graceful, limits.drain).await;
}

/// Resolves once `stop` turns true (the watch guard is not held across an await: it is not Send).
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Lets open requests finish for at most `bound`; connections still open are
/// closed when their tasks end with the runtime.
pub async fn drain(graceful: GracefulShutdown, bound: std::time::Duration) {
    if tokio::time::timeout(bound, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!(
            "stop: requests still open after {} s, closing them",
            bound.as_secs()
        );
    }
}

/// The warp service with the connection's address put on every request.
#[derive(Clone)]
struct WithPeer<S> {
    inner: S,
    peer: SocketAddr,
    activity: std::sync::Arc<Activity>,
}

impl<S, B> tower_service::Service<warp::http::Request<B>> for WithPeer<S>
where
    S: tower_service::Service<warp::http::Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: warp::http::Request<B>) -> Self::Future {
        req.extensions_mut().insert(PeerAddr(self.peer));
        // The head is in: no header timeout while the handler runs.
        let in_flight = self.activity.begin();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let answer = answer.await;
            drop(in_flight);
            answer
        })
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
