//! `GET /api` and `GET /torznab/api`: every answer is Torznab XML, errors included
//! (other methods and undecodable keys too: the *arr apps read only the XML).

use std::sync::Arc;

use warp::filters::BoxedFilter;
use warp::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use warp::reply::Response;
use warp::Filter;

use super::query::{self, Function, Params};
use super::render::{self, Feed, Item};
use super::{SearchIndex, TorznabError};
use crate::app::state::AppState;
use crate::web::error::AuthError;
use crate::web::filters::{raw_query, with};

pub fn routes(state: Arc<AppState>, index: Arc<SearchIndex>) -> BoxedFilter<(Response,)> {
    let path = warp::path!("api")
        .or(warp::path!("torznab" / "api"))
        .unify();
    path.and(warp::method())
        .and(with(state))
        .and(warp::any().map(move || index.clone()))
        .and(raw_query())
        .and(api_key_header())
        .then(
            |method: Method,
             state: Arc<AppState>,
             index,
             query: String,
             header_key: Option<String>| async move {
                // Newznab clients send POST now and then; the parameters are the query's.
                if ![Method::GET, Method::HEAD, Method::POST].contains(&method) {
                    let e = TorznabError::new(202, format!("No such function (method {method})"));
                    let mut resp = xml(render::error(&e), "application/xml; charset=utf-8");
                    *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                    return resp;
                }
                let params = Params::parse(&query);
                let caps = params
                    .get("t")
                    .is_some_and(|t| t.eq_ignore_ascii_case("caps"));
                let answered = answer(&state, index, &params, header_key).await;
                if !caps {
                    state.searches.record(answered.is_ok());
                }
                match answered {
                    Ok(body) => xml(body, "application/rss+xml; charset=utf-8"),
                    Err(e) => {
                        tracing::debug!(code = e.code, "torznab: {}", e.description);
                        xml(render::error(&e), "application/xml; charset=utf-8")
                    }
                }
            },
        )
        .boxed()
}

/// `X-Api-Key` as sent. A value that is not UTF-8 is kept (lossily) so that it fails
/// as a wrong key, in XML, where warp's typed header filter rejected it as JSON.
fn api_key_header() -> BoxedFilter<(Option<String>,)> {
    warp::header::headers_cloned()
        .map(|h: HeaderMap| {
            h.get("x-api-key")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        })
        .boxed()
}

/// The *arr apps read the error element of the body, so errors go out with 200 too.
fn xml(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn auth_error(e: AuthError) -> TorznabError {
    match e {
        AuthError::BadKey | AuthError::NoAdminCredentials | AuthError::BadAdminPassword => {
            TorznabError::new(100, "Incorrect user credentials")
        }
        AuthError::Disabled => TorznabError::new(101, "Account suspended"),
        AuthError::RateLimited(_) => TorznabError::new(900, "Unknown error"),
        AuthError::Store(e) => internal(&e.to_string()),
    }
}

fn internal(what: &str) -> TorznabError {
    tracing::error!("torznab: {what}");
    TorznabError::new(900, "Unknown error")
}

async fn answer(
    state: &Arc<AppState>,
    index: Arc<SearchIndex>,
    params: &Params,
    header_key: Option<String>,
) -> Result<Vec<u8>, TorznabError> {
    // Caps needs no key: Prowlarr reads it before the user has entered one.
    if params
        .get("t")
        .is_some_and(|t| t.eq_ignore_ascii_case("caps"))
    {
        return super::caps::caps(&state.config).map_err(|e| internal(&e.to_string()));
    }
    let key = params.get("apikey").map(str::to_string).or(header_key);
    let member = state.member(key).await.map_err(auth_error)?;
    let p = match query::parse(params)? {
        Function::Search(p) => p,
        Function::Caps => {
            return super::caps::caps(&state.config).map_err(|e| internal(&e.to_string()))
        }
    };
    state.activity.record_search();
    let caller = member.user.id;
    let swarm = state.swarm.clone();
    let (total, items) = state
        .db(move |store| {
            let hits = index.search(&p, caller);
            // Read now, not from the index: grabs and metadata are current.
            let records = store.torrents(&hits.info_hashes)?;
            let items: Vec<Item> = records
                .into_iter()
                .map(|record| {
                    let peers = swarm.counts(&record.info_hash);
                    Item { record, peers }
                })
                .collect();
            Ok((hits.total, items))
        })
        .await
        .map_err(|e| internal(&e.message))?;
    let offset = params
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    render::feed(&Feed {
        server_url: &state.config.server_url,
        site_name: &state.config.site_name,
        api_key: &member.api_key,
        offset,
        total,
        items,
    })
    .map_err(|e| internal(&e.to_string()))
}
