//! HTTP routes: `/announce/{passkey}`, `/scrape/{passkey}` and their `?passkey=` forms.

use std::sync::Arc;

use warp::filters::BoxedFilter;
use warp::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use warp::reply::Response;
use warp::{Filter, Reply};

use super::Tracker;
use crate::core::counters::Counters;
use crate::web::client_ip::Origin;
use crate::web::filters::{origin, raw_query};

fn bencoded(body: Vec<u8>) -> Response {
    let mut resp = warp::http::Response::new(body).into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The passkey path segment, or none for the `?passkey=` form.
fn passkey_segment() -> BoxedFilter<(Option<String>,)> {
    warp::path::param::<String>()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
        .and(warp::path::end())
        .boxed()
}

/// Announce and scrape; every answer is bencode with HTTP 200.
pub fn routes(tracker: Arc<Tracker>, counters: Arc<Counters>) -> BoxedFilter<(Response,)> {
    let t = tracker.clone();
    let announce = warp::path("announce")
        .and(passkey_segment())
        .and(raw_query())
        .and(origin())
        .map(move |pk: Option<String>, q: String, o: Origin| {
            bencoded(t.http_announce(pk.as_deref(), &q, &o, &counters))
        });
    let scrape = warp::path("scrape")
        .and(passkey_segment())
        .and(raw_query())
        .map(move |pk: Option<String>, q: String| bencoded(tracker.http_scrape(pk.as_deref(), &q)));
    announce.or(scrape).unify().boxed()
}
