//! The qBittorrent Web API v2 the *arr apps use as their download client,
//! on `CLIENT_BIND`. Every `/api/v2/...` request goes through one filter
//! (GET and POST alike, as qBittorrent accepts both) and is dispatched by
//! path; answers are qBittorrent 5's.

pub mod auth;
mod categories;
pub mod form;
mod json;
mod maindata;
mod torrents;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use warp::http::{header, Response, StatusCode};
use warp::Filter;

use crate::client::downloads::Downloads;
use crate::web::ratelimit::LoginLimiter;
use crate::web::session::SessionStore;
use auth::Credentials;
use form::{FormError, Params, MAX_BODY};

/// `app/webapiVersion` of qBittorrent 5.0.
pub const WEBAPI_VERSION: &str = "2.11.2";
pub const APP_VERSION: &str = "v5.0.4";

pub type Reply = warp::reply::Response;

pub struct Api {
    pub downloads: Arc<Downloads>,
    pub creds: Credentials,
    pub sessions: SessionStore,
    pub limiter: LoginLimiter,
    /// Reverse proxies whose forwarding headers are believed (TRUSTED_PROXIES).
    pub proxies: crate::web::client_ip::TrustedProxies,
    /// The `sync/maindata` answers given, for `rid` partial updates.
    maindata: maindata::History,
    /// The library seeder, for `torrents/reannounce` (none with `--once`).
    pub seeder: Option<Arc<crate::client::seeder::Seeder>>,
}

impl Api {
    pub fn new(
        downloads: Arc<Downloads>,
        creds: Credentials,
        sessions: SessionStore,
        limiter: LoginLimiter,
    ) -> Api {
        Api {
            downloads,
            creds,
            sessions,
            limiter,
            proxies: Default::default(),
            maindata: Default::default(),
            seeder: None,
        }
    }

    /// Re-announces through this seeder.
    pub fn with_seeder(mut self, seeder: Option<Arc<crate::client::seeder::Seeder>>) -> Api {
        self.seeder = seeder;
        self
    }

    /// Believes these proxies' forwarded address and scheme.
    pub fn behind(mut self, proxies: crate::web::client_ip::TrustedProxies) -> Api {
        self.proxies = proxies;
        self
    }
}

pub fn text(status: StatusCode, body: impl Into<String>) -> Reply {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=UTF-8")
        .body(body.into().into())
        .unwrap_or_default()
}

pub fn ok() -> Reply {
    text(StatusCode::OK, "")
}

pub fn json(v: &serde_json::Value) -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(v.to_string().into())
        .unwrap_or_default()
}

fn bad(e: FormError) -> Reply {
    match e {
        FormError::TooLarge => text(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
        _ => text(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// One API request after the filter.
pub struct Req {
    pub path: String,
    pub params: Params,
    pub ip: IpAddr,
    pub sid: Option<String>,
    /// Came over https (a trusted proxy's `X-Forwarded-Proto`): the `SID` cookie is `Secure`.
    pub https: bool,
}

fn cookie_sid(h: Option<&str>) -> Option<String> {
    crate::web::session::cookie(h, "SID").map(str::to_string)
}

/// Reads a body up to [`MAX_BODY`], whatever Content-Length says.
async fn read_body(
    mut body: impl futures_util::Stream<Item = Result<impl bytes::Buf, warp::Error>> + Unpin,
) -> Result<Bytes, FormError> {
    let mut out = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| FormError::Bad(format!("body: {e}")))?;
        if out.len() + chunk.remaining() > MAX_BODY {
            return Err(FormError::TooLarge);
        }
        while chunk.has_remaining() {
            let c = chunk.chunk();
            out.extend_from_slice(c);
            let n = c.len();
            chunk.advance(n);
        }
    }
    Ok(out.freeze())
}

/// A browser page of another site must not drive the API; the *arr apps
/// send no Origin, so only a present and foreign one is refused.
fn foreign_origin(origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return false };
    let origin_host = url::Url::parse(origin).ok().and_then(|u| {
        u.host_str().map(|h| match u.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_string(),
        })
    });
    origin_host.as_deref() != host
}

pub fn routes(api: Arc<Api>) -> warp::filters::BoxedFilter<(Reply,)> {
    let api = warp::any().map(move || api.clone());
    // Liveness without a session, the same route as the server's, for
    // `privateindexer healthcheck` and the image's HEALTHCHECK.
    let health = warp::path!("api" / "v1" / "health")
        .and(warp::get())
        .map(|| {
            warp::Reply::into_response(warp::reply::json(&serde_json::json!({"status": "ok"})))
        });
    let qbt = warp::path("api")
        .and(warp::path("v2"))
        .and(warp::path::tail())
        .and(warp::method())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::header::optional::<String>("cookie"))
        .and(warp::header::optional::<String>("origin"))
        .and(warp::header::optional::<String>("host"))
        .and(crate::web::filters::origin())
        .and(warp::body::stream())
        .and(api)
        .then(
            |tail: warp::path::Tail,
             method: warp::http::Method,
             query: String,
             ct: Option<String>,
             cookie: Option<String>,
             origin: Option<String>,
             host: Option<String>,
             remote: crate::web::client_ip::Origin,
             body,
             api: Arc<Api>| async move {
                if method != warp::http::Method::GET && method != warp::http::Method::POST {
                    return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
                }
                if foreign_origin(origin.as_deref(), host.as_deref()) {
                    return text(StatusCode::UNAUTHORIZED, "Unauthorized");
                }
                let body = match read_body(Box::pin(body)).await {
                    Ok(b) => b,
                    Err(e) => return bad(e),
                };
                let params = match Params::parse(&query, ct.as_deref(), body).await {
                    Ok(p) => p,
                    Err(e) => return bad(e),
                };
                let req = Req {
                    path: tail.as_str().trim_end_matches('/').to_string(),
                    params,
                    ip: api
                        .proxies
                        .client_ip(&remote)
                        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                    https: api.proxies.came_over_https(&remote),
                    sid: cookie_sid(cookie.as_deref()),
                };
                dispatch(&api, req).await
            },
        );
    health.or(qbt).unify().boxed()
}

async fn dispatch(api: &Api, req: Req) -> Reply {
    match req.path.as_str() {
        "auth/login" => return login(api, &req).await,
        "auth/logout" => {
            if let Some(s) = &req.sid {
                api.sessions.remove(s);
                api.maindata.forget(s);
            }
            return ok();
        }
        _ => {}
    }
    if req
        .sid
        .as_deref()
        .and_then(|s| api.sessions.csrf_of(s))
        .is_none()
    {
        return text(StatusCode::FORBIDDEN, "Forbidden");
    }
    let p = &req.params;
    match req.path.as_str() {
        "app/webapiVersion" => text(StatusCode::OK, WEBAPI_VERSION),
        "app/version" => text(StatusCode::OK, APP_VERSION),
        "app/buildInfo" => json(&serde_json::json!({
            "qt": "6.7.3", "libtorrent": "2.0.10.0", "boost": "1.86.0", "openssl": "3.3.2",
            "zlib": "1.3.1", "bitness": 64, "platform": "linux",
            "app": format!("privateindexer {}", env!("CARGO_PKG_VERSION")),
        })),
        "app/defaultSavePath" => text(
            StatusCode::OK,
            api.downloads.mapper.to_arr(api.downloads.downloads_dir()),
        ),
        "app/preferences" => categories::preferences(api),
        "app/setPreferences" => categories::set_preferences(api, p),
        "transfer/info" => json(&torrents::transfer_info(api)),
        "sync/maindata" => {
            let rid = form::number::<u64>(p, "rid").ok().flatten().unwrap_or(0);
            let sid = req.sid.as_deref().unwrap_or_default();
            json(&api.maindata.answer(sid, rid, maindata::now(api)))
        }
        "torrents/categories" => categories::list(api),
        "torrents/createCategory" => categories::create(api, p, false),
        "torrents/editCategory" => categories::create(api, p, true),
        "torrents/removeCategories" => categories::remove(api, p),
        "torrents/tags" => categories::tags(api),
        "torrents/createTags" => categories::edit_tags(api, p, true),
        "torrents/deleteTags" => categories::edit_tags(api, p, false),
        "torrents/info" => torrents::info(api, p),
        "torrents/properties" => torrents::one(api, p, json::properties),
        "torrents/files" => torrents::one(api, p, |_, s| json::files(s)),
        "torrents/trackers" => torrents::one(api, p, |_, s| json::trackers(s)),
        "torrents/add" => torrents::add(api, &req).await,
        "torrents/delete" => torrents::delete(api, p).await,
        "torrents/stop" | "torrents/pause" => torrents::stop_start(api, p, true).await,
        "torrents/start" | "torrents/resume" => torrents::stop_start(api, p, false).await,
        "torrents/recheck" | "torrents/setLocation" => torrents::library_guard(api, p),
        "torrents/reannounce" => torrents::reannounce(api, p).await,
        "torrents/setForceStart" | "torrents/setSuperSeeding" => torrents::known(api, p),
        "torrents/setCategory" => torrents::set_category(api, p),
        "torrents/addTags" => torrents::tag(api, p, true),
        "torrents/removeTags" => torrents::tag(api, p, false),
        "torrents/setShareLimits" => torrents::share_limits(api, p),
        "torrents/topPrio"
        | "torrents/bottomPrio"
        | "torrents/increasePrio"
        | "torrents/decreasePrio" => text(StatusCode::CONFLICT, "Torrent queueing must be enabled"),
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn login(api: &Api, req: &Req) -> Reply {
    let Ok(attempt) = api.limiter.attempt(req.ip) else {
        return text(
            StatusCode::FORBIDDEN,
            "Your IP address has been banned after too many failed authentication attempts.",
        );
    };
    let user = req.params.get("username").unwrap_or("");
    let pass = req.params.get("password").unwrap_or("");
    if !api.creds.check(user, pass).await {
        tracing::info!(ip = %req.ip, "qBittorrent API: failed login");
        return text(StatusCode::OK, "Fails.");
    }
    attempt.succeeded();
    let sid = api.sessions.create();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain; charset=UTF-8")
        .header(header::SET_COOKIE, api.sessions.set_cookie(&sid, req.https))
        .body("Ok.".into())
        .unwrap_or_default()
}

/// Serves the API, and the `beside` routes on the same port (the dashboard,
/// `/metrics`), until `stop` turns true.
pub async fn serve(
    api: Arc<Api>,
    listener: tokio::net::TcpListener,
    stop: tokio::sync::watch::Receiver<bool>,
    beside: warp::filters::BoxedFilter<(Reply,)>,
    limits: crate::web::limits::Limits,
) {
    if let Ok(a) = listener.local_addr() {
        tracing::info!(addr = %a, "qBittorrent API listening");
    }
    let all = routes(api).or(beside).unify().boxed();
    crate::web::serve::serve_with(listener, all, stop, limits).await;
}
