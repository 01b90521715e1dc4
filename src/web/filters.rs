//! Small extractors shared by route groups.

use std::net::IpAddr;

use warp::filters::BoxedFilter;
use warp::Filter;

use super::client_ip::{Origin, TrustedProxies};
use super::serve::PeerAddr;

/// One route of a page surface: the path filter, the method, the extractors
/// (cloned), and the handler they are handed to, boxed.
macro_rules! route {
    ($method:ident $path:expr, $($arg:expr),+ => $handler:expr) => {
        $path
            .and(warp::$method())
            $(.and($arg.clone()))+
            .then($handler)
            .boxed()
    };
}
pub(crate) use route;

/// Boxed routes of one reply type tried in order.
macro_rules! any_of {
    ($first:expr $(, $rest:expr)* $(,)?) => {
        $first$(.or($rest).unify())*.boxed()
    };
}
pub(crate) use any_of;

/// A form body of at most `limit` bytes, parsed.
pub fn form(limit: u64) -> BoxedFilter<(super::html::Form,)> {
    warp::body::content_length_limit(limit)
        .and(warp::body::bytes())
        .map(|b: bytes::Bytes| super::html::Form::parse(&b))
        .boxed()
}

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
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .map(
            |remote: Option<PeerAddr>, forwarded_for, real_ip, forwarded_proto| Origin {
                remote: remote.map(|a| a.0.ip()),
                forwarded_for,
                real_ip,
                forwarded_proto,
            },
        )
        .boxed()
}

/// Matches and consumes the path prefix `base` (URL_BASE: `""` or `/a/b`).
pub fn under(base: &str) -> BoxedFilter<()> {
    base.split('/')
        .filter(|s| !s.is_empty())
        .fold(warp::any().boxed(), |f, seg| {
            f.and(warp::path(seg.to_string())).boxed()
        })
}

/// The client's address; forwarding headers count only from TRUSTED_PROXIES.
pub fn client_ip(proxies: TrustedProxies) -> BoxedFilter<(Option<IpAddr>,)> {
    origin().map(move |o: Origin| proxies.client_ip(&o)).boxed()
}

pub fn authorization() -> BoxedFilter<(Option<String>,)> {
    warp::header::optional::<String>("authorization").boxed()
}

/// A request's route for logs: the path with keys, info-hashes and ids
/// replaced by placeholders (a passkey travels in the announce path), at most
/// six segments, and never the query (API keys travel there).
pub fn route_label(path: &str) -> String {
    let mut out = String::new();
    let mut key_next = false;
    for seg in path.split('/').filter(|s| !s.is_empty()).take(6) {
        let hex = seg.bytes().all(|b| b.is_ascii_hexdigit());
        let label = if key_next {
            "{passkey}"
        } else if hex && seg.len() == 40 {
            "{infohash}"
        } else if seg.bytes().all(|b| b.is_ascii_digit()) {
            "{id}"
        } else if seg.len() > 24
            || !seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            "{…}"
        } else {
            seg
        };
        key_next = out.is_empty() && matches!(seg, "announce" | "scrape");
        out.push('/');
        out.push_str(label);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// One span per request: method and route label, never the query.
pub fn request_span(
) -> warp::filters::trace::Trace<impl Fn(warp::filters::trace::Info<'_>) -> tracing::Span + Clone> {
    warp::trace(|info: warp::filters::trace::Info<'_>| {
        tracing::info_span!(
            "request",
            method = %info.method(),
            route = %route_label(info.path()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn route_labels_carry_no_keys() {
        let key = "ab".repeat(32);
        let hash = "cd".repeat(20);
        assert_eq!(
            route_label(&format!("/announce/{key}")),
            "/announce/{passkey}"
        );
        assert_eq!(route_label("/scrape/not-even-hex!"), "/scrape/{passkey}");
        assert_eq!(
            route_label(&format!("/api/v1/torrents/{hash}/download")),
            "/api/v1/torrents/{infohash}/download"
        );
        assert_eq!(
            route_label("/admin/api/users/17/rotate"),
            "/admin/api/users/{id}/rotate"
        );
        assert_eq!(route_label(&format!("/view/{key}")), "/view/{…}");
        assert_eq!(route_label("/static/panel.css"), "/static/panel.css");
        assert_eq!(route_label(""), "/");
        assert_eq!(route_label("/a/b/c/d/e/f/g/h").matches('/').count(), 6);
    }
}
