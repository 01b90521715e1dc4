//! The admin JSON API under `/admin/api` (HTTP Basic `admin:<password>`).

use std::net::IpAddr;
use std::sync::Arc;

use serde::Deserialize;
use warp::filters::BoxedFilter;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::app::catalog::MemberChange;
use crate::app::state::AppState;
use crate::core::swarm::SwarmFigures;
use crate::members::{self, MemberError};
use crate::web::filters::{authorization, client_ip, with};
use crate::web::json::{recover_json, respond, ApiError};
use crate::wire::Stats;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    label: String,
}

#[derive(Clone, Copy)]
enum Action {
    Rotate,
    Enable,
    Disable,
    Delete,
}

pub fn routes(state: Arc<AppState>) -> BoxedFilter<(Response,)> {
    // HTTP Basic, or the admin panel's session cookie (with its CSRF token in
    // `X-CSRF-Token` for anything but GET).
    let admin = with(state.clone())
        .and(authorization())
        .and(client_ip(state.config.trusted_proxies.clone()))
        .and(warp::header::optional::<String>("cookie"))
        .and(warp::header::optional::<String>("x-csrf-token"))
        .and(warp::method())
        .and_then(
            |st: Arc<AppState>,
             auth,
             ip: Option<IpAddr>,
             cookie: Option<String>,
             csrf: Option<String>,
             method: warp::http::Method| async move {
                let read_only = method == warp::http::Method::GET;
                if crate::panel::admin_session_ok(
                    &st,
                    cookie.as_deref(),
                    csrf.as_deref(),
                    read_only,
                ) {
                    return Ok(st);
                }
                match st.admin(auth, ip).await {
                    Ok(()) => Ok(st),
                    Err(e) => Err(warp::reject::custom(Denied(e.into()))),
                }
            },
        )
        .boxed();

    let create = warp::path!("users")
        .and(warp::post())
        .and(admin.clone())
        .and(warp::body::content_length_limit(4096))
        .and(warp::body::bytes())
        .then(|st, body| async move { respond(create_user(st, body).await) });
    let list = warp::path!("users")
        .and(warp::get())
        .and(admin.clone())
        .then(|st: Arc<AppState>| async move {
            respond(
                st.db(|s| {
                    members::list(s).map_err(|e| match e {
                        MemberError::Store(s) => s,
                        other => crate::store::StoreError::Invalid(other.to_string()),
                    })
                })
                .await
                .map(|l| warp::reply::json(&l).into_response()),
            )
        });
    let action = |verb: &'static str, a: Action| {
        warp::path("users")
            .and(warp::path::param::<String>())
            .and(warp::path(verb))
            .and(warp::path::end())
            .and(warp::post())
            .and(admin.clone())
            .then(move |id, st| async move { respond(member_action(st, id, a).await) })
            .boxed()
    };
    let delete = warp::path!("users" / String)
        .and(warp::delete())
        .and(admin.clone())
        .then(|id, st| async move { respond(member_action(st, id, Action::Delete).await) });
    let stats = warp::path!("stats")
        .and(warp::get())
        .and(admin.clone())
        .then(|st| async move { respond(stats(st).await) });
    let backup = warp::path!("backup")
        .and(warp::get())
        .and(admin.clone())
        .then(|st| async move { respond(backup(st).await) });

    warp::path("admin")
        .and(warp::path("api"))
        .and(
            create
                .or(list)
                .unify()
                .or(action("rotate", Action::Rotate))
                .unify()
                .or(action("enable", Action::Enable))
                .unify()
                .or(action("disable", Action::Disable))
                .unify()
                .or(delete)
                .unify()
                .or(stats)
                .unify()
                .or(backup)
                .unify()
                .recover(recover_admin)
                .unify(),
        )
        .boxed()
}

#[derive(Debug)]
struct Denied(ApiError);
impl warp::reject::Reject for Denied {}

async fn recover_admin(err: warp::Rejection) -> Result<Response, std::convert::Infallible> {
    if let Some(Denied(e)) = err.find::<Denied>() {
        let mut resp = ApiError::new(e.status, e.message.clone()).into_response();
        if e.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"privateindexer admin\""),
            );
        }
        return Ok(resp);
    }
    recover_json(err).await
}

fn member_error(e: MemberError) -> ApiError {
    match e {
        MemberError::Store(s) => s.into(),
        MemberError::DuplicateLabel(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        other => ApiError::unprocessable(other.to_string()),
    }
}

fn parse_id(id: &str) -> Result<u64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_request("member id must be a number"))
}

async fn create_user(state: Arc<AppState>, body: bytes::Bytes) -> Result<Response, ApiError> {
    let req: NewUser = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    let issued = state
        .catalog()
        .create_member(req.label)
        .await
        .map_err(member_error)?;
    tracing::info!(member = issued.id, label = %issued.label, "member created");
    Ok(warp::reply::with_status(warp::reply::json(&issued), StatusCode::CREATED).into_response())
}

async fn member_action(
    state: Arc<AppState>,
    id: String,
    action: Action,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let catalog = state.catalog();
    let change = match action {
        Action::Rotate => {
            let keys = catalog.rotate_member(id).await.map_err(member_error)?;
            let keys = keys.ok_or_else(|| ApiError::not_found("no such member"))?;
            return Ok(warp::reply::json(&keys).into_response());
        }
        Action::Enable => MemberChange::Enable,
        Action::Disable => MemberChange::Disable,
        Action::Delete => MemberChange::Delete,
    };
    if !catalog.change_member(id, change).await? {
        return Err(ApiError::not_found("no such member"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn stats(state: Arc<AppState>) -> Result<Response, ApiError> {
    let (users, torrents) = state.db(|s| Ok((s.users()?, s.torrent_count()?))).await?;
    let swarm = state
        .listeners
        .iter()
        .filter_map(|l| l.swarm_figures())
        .fold(SwarmFigures::default(), |a, b| SwarmFigures {
            peers: a.peers + b.peers,
            seeders: a.seeders + b.seeders,
            leechers: a.leechers + b.leechers,
        });
    let (uploaded, downloaded) = crate::store::transfer_totals(&users);
    let stats = Stats {
        members: users.len() as u64,
        enabled_members: users.iter().filter(|u| u.enabled).count() as u64,
        torrents,
        peers: swarm.peers,
        seeders: swarm.seeders,
        leechers: swarm.leechers,
        uploaded,
        downloaded,
    };
    Ok(warp::reply::json(&stats).into_response())
}

/// Streams a consistent copy of the store; the temporary file is unlinked once open.
async fn backup(state: Arc<AppState>) -> Result<Response, ApiError> {
    // Beside the redb file (same disk as the copy it takes); a MySQL store's in the temp folder.
    let dir = match &state.config.store {
        crate::store::StoreConfig::Redb { data_dir } => data_dir.clone(),
        crate::store::StoreConfig::Mysql(_) => std::env::temp_dir(),
    };
    let path = dir.join(format!(".backup-{}.redb", crate::keys::random_token()));
    let p = path.clone();
    state.db(move |s| s.backup_to(&p)).await?;
    let file = tokio::fs::File::open(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    let file = file.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("backup unreadable: {e}"),
        )
    })?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let mut resp = warp::reply::stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
    }
    tracing::info!("store backup streamed");
    Ok(resp)
}
