//! `GET /metrics` behind METRICS_TOKEN: unset, there is no such route (404);
//! a wrong or missing `Authorization: Bearer …` is a 401, and failures are
//! rate-limited per address as logins are.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use warp::filters::BoxedFilter;
use warp::http::{header, Response, StatusCode};
use warp::Filter;

use crate::web::client_ip::{Origin, TrustedProxies};
use crate::web::filters::{authorization, origin};
use crate::web::ratelimit::LoginLimiter;
use crate::web::session::same;

/// Who may scrape.
pub struct Guard {
    token: Option<String>,
    failures: LoginLimiter,
    proxies: TrustedProxies,
}

impl Guard {
    /// 10 wrong tokens from one address ban it for 15 minutes, as admin logins.
    pub fn new(token: Option<String>, proxies: TrustedProxies) -> Guard {
        Guard {
            token: token.filter(|t| !t.is_empty()),
            failures: LoginLimiter::new(10, Duration::from_secs(15 * 60)),
            proxies,
        }
    }

    /// None: let in; Some: the refusal to send.
    fn refuse(&self, authorization: Option<&str>, o: &Origin) -> Option<warp::reply::Response> {
        let Some(token) = &self.token else {
            return Some(plain(StatusCode::NOT_FOUND, "no such route"));
        };
        let ip = self
            .proxies
            .client_ip(o)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        if let Some(wait) = self.failures.blocked_for(ip) {
            let mut r = plain(
                StatusCode::TOO_MANY_REQUESTS,
                "too many wrong metrics tokens",
            );
            if let Ok(v) = wait.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Some(r);
        }
        let given = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim);
        if given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            self.failures.succeeded(ip);
            return None;
        }
        self.failures.failed(ip);
        let mut r = plain(
            StatusCode::UNAUTHORIZED,
            "metrics need Authorization: Bearer <METRICS_TOKEN>",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        Some(r)
    }
}

fn plain(status: StatusCode, body: &'static str) -> warp::reply::Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(body.into())
        .unwrap_or_default()
}

/// The `/metrics` route; `render` makes the exposition text of one scrape.
pub fn route<F, Fut>(guard: Arc<Guard>, render: F) -> BoxedFilter<(warp::reply::Response,)>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = String> + Send + 'static,
{
    warp::path!("metrics")
        .and(warp::get())
        .and(authorization())
        .and(origin())
        .then(move |auth: Option<String>, o: Origin| {
            let (guard, render) = (guard.clone(), render.clone());
            async move {
                if let Some(refusal) = guard.refuse(auth.as_deref(), &o) {
                    return refusal;
                }
                Response::builder()
                    .header(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )
                    .body(render().await.into())
                    .unwrap_or_default()
            }
        })
        .boxed()
}
