//! The main port's connections: a new connection whose first request is an
//! announce or scrape is answered straight from the accept loop, as on the
//! TRACKER_BIND port (most torrent clients open a connection per announce);
//! every other connection, with whatever was already read, goes to hyper and
//! the warp routes. Stopping closes the listener and lets open requests finish.

use std::sync::Arc;

use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWriteExt;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::core::counters::Counters;
use crate::tracker::http1;
use crate::tracker::Tracker;

/// Serves the main port until `stop` turns true, then waits for open requests.
pub async fn serve(
    listener: std::net::TcpListener,
    routes: BoxedFilter<(Response,)>,
    tracker: Arc<Tracker>,
    counters: Arc<Counters>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let listener = http1::prepare(listener)?;
    let graceful = GracefulShutdown::new();
    http1::accept_loop(listener, stop, |stream, remote| {
        let Some(conn) = http1::first_contact(
            &stream,
            remote,
            &tracker,
            &counters,
            http1::is_tracker_request,
        ) else {
            return;
        };
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            return;
        };
        let (watcher, routes) = (graceful.watcher(), routes.clone());
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
            crate::web::serve::connection(tokio::io::join(read, write), remote, routes, watcher)
                .await;
        });
    })
    .await;
    graceful.shutdown().await;
    Ok(())
}
