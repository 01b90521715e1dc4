//! Small extractors shared by route groups.

use std::net::IpAddr;

use warp::filters::BoxedFilter;
use warp::Filter;

use super::client_ip::{Origin, TrustedProxies};
use super::serve::PeerAddr;

/// Hands every request a clone of `value` (a surface's state).
pub fn with<T: Clone + Send + Sync + 'static>(value: T) -> BoxedFilter<(T,)> {
    warp::any().map(move || value.clone()).boxed()
}

/// The raw query string, empty when absent (warp's own filter rejects then).
pub fn raw_query() -> BoxedFilter<(String,)> {
    warp::query::raw()
        .or(warp::any().map(String::new))
        .unify()
        .boxed()
}

pub fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The API key from `X-Api-Key`, else from the `apikey` query parameter.
pub fn api_key() -> BoxedFilter<(Option<String>,)> {
    warp::header::optional::<String>("x-api-key")
        .and(raw_query())
        .map(|h: Option<String>, q: String| h.or_else(|| query_param(&q, "apikey")))
        .boxed()
}

/// The connection's address and the forwarding headers a proxy may have set.
pub fn origin() -> BoxedFilter<(Origin,)> {
    warp::ext::optional::<PeerAddr>()
        .and(warp::header::optional::<String>("x-forwarded-for"))
        .and(warp::header::optional::<String>("x-real-ip"))
        .map(|remote: Option<PeerAddr>, forwarded_for, real_ip| Origin {
            remote: remote.map(|a| a.0.ip()),
            forwarded_for,
            real_ip,
        })
        .boxed()
}

/// The client's address; forwarding headers count only from TRUSTED_PROXIES.
pub fn client_ip(proxies: TrustedProxies) -> BoxedFilter<(Option<IpAddr>,)> {
    origin().map(move |o: Origin| proxies.client_ip(&o)).boxed()
}

pub fn authorization() -> BoxedFilter<(Option<String>,)> {
    warp::header::optional::<String>("authorization").boxed()
}
