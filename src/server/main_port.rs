//! The main port's connections: a new connection whose first request is an
//! announce or scrape is answered straight from the accept loop, as on the
//! TRACKER_BIND port (most torrent clients open a connection per announce);
//! every other connection, with whatever was already read, goes to hyper and
//! the warp routes. Every connection is under the port's [`Limits`]. Stopping
//! closes the listener and lets open requests finish for `limits.drain`.

use std::sync::Arc;

use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWriteExt;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::core::counters::Counters;
use crate::tracker::http1;
use crate::tracker::Tracker;
use crate::web::limits::{Cap, Limits};
use crate::web::serve::Accepted;

/// Serves the main port until `stop` turns true, then drains open requests.
pub async fn serve(
    listener: std::net::TcpListener,
    routes: BoxedFilter<(Response,)>,
    tracker: Arc<Tracker>,
    counters: Arc<Counters>,
    stop: tokio::sync::watch::Receiver<bool>,
    limits: Limits,
) -> std::io::Result<()> {
    let listener = http1::prepare(listener)?;
    let graceful = GracefulShutdown::new();
    let cap = Cap::new(limits.max_connections);
    http1::accept_loop(listener, stop, &cap, "BIND", |stream, remote, slot| {
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
            let buf = conn.buf;
            // hyper reads what the accept loop already took first.
            let head_started = !buf.is_empty();
            let read = tokio::io::AsyncReadExt::chain(std::io::Cursor::new(buf), read);
            let accepted = Accepted {
                io: tokio::io::join(read, write),
                peer: remote,
                slot,
                head_started,
                refusal: super::request_line::refusal,
            };
            crate::web::serve::connection(accepted, routes, watcher, limits).await;
        });
    })
    .await;
    crate::web::serve::drain(graceful, limits.drain).await;
    Ok(())
}
