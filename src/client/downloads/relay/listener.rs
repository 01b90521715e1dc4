//! The relay's socket: 127.0.0.1 on a port of the system's choosing, one
//! route, `GET /announce/<token>?<query>`; any other path or token is a 404,
//! so nothing else on the machine can announce with the member's passkey.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rand::RngCore;
use tokio::sync::watch;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

use super::Relay;

fn same(a: &[u8], b: &[u8]) -> bool {
    // Compared in full whatever the first difference: no timing hint.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Binds the relay and serves it until [`Relay::stop_all`].
pub async fn start() -> anyhow::Result<Arc<Relay>> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .context("download engine's tracker relay: cannot listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let mut secret = [0u8; 16];
    rand::rng().fill_bytes(&mut secret);
    let token = hex::encode(secret);
    let (stop, stopped) = watch::channel(false);
    let relay = Arc::new(Relay {
        url: format!("http://{addr}/announce/{token}"),
        token,
        tracks: Mutex::new(HashMap::new()),
        http: crate::client::announces::http_client(),
        stop,
    });
    let r = relay.clone();
    let routes = warp::get()
        .and(warp::path!("announce" / String))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .then(move |token: String, raw: String| {
            let r = r.clone();
            async move {
                if !same(token.as_bytes(), r.token.as_bytes()) {
                    return StatusCode::NOT_FOUND.into_response();
                }
                let mut resp = r.answer(&raw).await.into_response();
                resp.headers_mut().insert(
                    warp::http::header::CONTENT_TYPE,
                    warp::http::HeaderValue::from_static("text/plain"),
                );
                resp
            }
        })
        .or(warp::any().map(|| StatusCode::NOT_FOUND.into_response()))
        .unify()
        .map(|r: Response| r)
        .boxed();
    tokio::spawn(crate::web::serve::serve(listener, routes, stopped));
    tracing::info!(%addr, "download engine's tracker relay listening");
    Ok(relay)
}
