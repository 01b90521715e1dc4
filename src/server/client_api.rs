//! The client API under `/api/v1` (JSON, `X-Api-Key` or `apikey`).

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use warp::filters::BoxedFilter;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use super::upload::{self, MAX_FORM_BYTES};
use crate::app::state::{AppState, Member};
use crate::core::clock::now;
use crate::metainfo::{self, hex_hash, parse_hex_hash};
use crate::store::{PutOutcome, TorrentRecord};
use crate::web::filters::{api_key, authorization, client_ip, with};
use crate::web::json::{recover_json, respond, ApiError};
use crate::wire::{Me, SyncRequest, SyncResponse, UploadResponse};

/// Most info-hashes one sync call may carry (a very large library; 64 bytes each in JSON).
const MAX_SYNC_HASHES: usize = 200_000;

pub fn routes(state: Arc<AppState>) -> BoxedFilter<(Response,)> {
    let s = with(state.clone());
    let health = warp::path!("health")
        .and(warp::get())
        .and(with(Arc::new(super::health::Health::default())))
        .and(s.clone())
        .then(super::health::Health::answer);
    let me = warp::path!("me")
        .and(warp::get())
        .and(s.clone())
        .and(api_key())
        .then(|st, key| async move { respond(me(st, key).await) });
    let upload = warp::path!("torrents")
        .and(warp::post())
        .and(s.clone())
        .and(api_key())
        .and(warp::multipart::form().max_length(MAX_FORM_BYTES))
        .then(|st, key, form| async move { respond(upload(st, key, form).await) });
    let sync = warp::path!("sync")
        .and(warp::post())
        .and(s.clone())
        .and(api_key())
        .and(warp::body::content_length_limit(
            MAX_SYNC_HASHES as u64 * 48,
        ))
        .and(warp::body::bytes())
        .then(|st, key, body| async move { respond(sync(st, key, body).await) });
    let withdraw = warp::path!("torrents" / String)
        .and(warp::delete())
        .and(s.clone())
        .and(api_key())
        .and(authorization())
        .and(client_ip(state.config.trusted_proxies.clone()))
        .then(
            |ih, st, key, auth, ip| async move { respond(withdraw(st, ih, key, auth, ip).await) },
        );
    let download = warp::path!("torrents" / String / "download")
        .and(warp::get())
        .and(s)
        .and(api_key())
        .then(|ih, st, key| async move { respond(download(st, ih, key).await) });

    warp::path("api")
        .and(warp::path("v1"))
        .and(
            health
                .or(me)
                .unify()
                .or(upload)
                .unify()
                .or(sync)
                .unify()
                .or(withdraw)
                .unify()
                .or(download)
                .unify()
                .recover(recover_json)
                .unify(),
        )
        .boxed()
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

pub fn info_hash_param(s: &str) -> Result<[u8; 20], ApiError> {
    parse_hex_hash(s).ok_or_else(|| ApiError::bad_request("info-hash must be 40 hex characters"))
}

async fn me(state: Arc<AppState>, key: Option<String>) -> Result<Response, ApiError> {
    let m = state.member(key).await?;
    let u = &m.user;
    Ok(json(
        StatusCode::OK,
        &Me {
            member: u.into(),
            announce_url: m.announce_url(&state),
            reachable: state
                .listeners
                .iter()
                .find_map(|l| l.member_reachability(u.id)),
        },
    ))
}

async fn upload(
    state: Arc<AppState>,
    key: Option<String>,
    form: warp::multipart::FormData,
) -> Result<Response, ApiError> {
    let member = state.member(key).await?;
    let form = upload::read_form(form).await?;
    let info = upload::parse_torrent(form.torrent).await?;
    let meta = upload::parse_meta(&form.meta)?;
    let record = TorrentRecord {
        info_hash: info.info_hash,
        info_hash_v2: info.info_hash_v2,
        name: info.name,
        size: info.size,
        file_count: info.files.len() as u32,
        piece_length: info.piece_length,
        uploader: member.user.id,
        added: now(),
        meta,
        grabs: 0,
        snatches: 0,
    };
    let outcome = state.catalog().upload(record.clone(), info.stored).await?;
    let status = match outcome {
        PutOutcome::Conflict => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "another member already shared this torrent",
            ))
        }
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Updated => StatusCode::OK,
    };
    let ih = record.info_hash;
    tracing::info!(member = member.user.id, info_hash = %hex_hash(&ih), ?outcome, "torrent uploaded");
    Ok(json(
        status,
        &UploadResponse {
            info_hash: hex_hash(&ih),
            title: record.title().to_string(),
            size: record.size,
            files: record.file_count,
            created: outcome == PutOutcome::Created,
        },
    ))
}

async fn sync(
    state: Arc<AppState>,
    key: Option<String>,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    let member = state.member(key).await?;
    let req: SyncRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    if req.info_hashes.len() > MAX_SYNC_HASHES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {MAX_SYNC_HASHES} info-hashes per sync"),
        ));
    }
    let mut seeded = HashSet::with_capacity(req.info_hashes.len());
    for h in &req.info_hashes {
        seeded.insert(
            parse_hex_hash(&h.to_ascii_lowercase())
                .ok_or_else(|| ApiError::bad_request(format!("not an info-hash: {h:?}")))?,
        );
    }
    let uid = member.user.id;
    let (missing, orphaned) = state
        .db(move |s| {
            let mine: HashSet<[u8; 20]> = s.torrents_of(uid)?.into_iter().collect();
            let mut missing = Vec::new();
            for h in &seeded {
                if !mine.contains(h) && s.torrent(h)?.is_none() {
                    missing.push(hex_hash(h));
                }
            }
            let orphaned: Vec<String> = mine.difference(&seeded).map(|h| hex_hash(h)).collect();
            Ok((missing, orphaned))
        })
        .await?;
    Ok(json(StatusCode::OK, &SyncResponse { missing, orphaned }))
}

async fn withdraw(
    state: Arc<AppState>,
    ih: String,
    key: Option<String>,
    authorization: Option<String>,
    ip: Option<std::net::IpAddr>,
) -> Result<Response, ApiError> {
    // The admin (HTTP Basic) may withdraw anything; a member only their own uploads.
    let member: Option<Member> = match authorization {
        Some(_) if key.is_none() => {
            state.admin(authorization, ip).await?;
            None
        }
        _ => Some(state.member(key).await?),
    };
    let ih = info_hash_param(&ih)?;
    let record = state
        .db(move |s| s.torrent(&ih))
        .await?
        .ok_or_else(|| ApiError::not_found("no such torrent"))?;
    if let Some(m) = &member {
        if record.uploader != m.user.id {
            return Err(ApiError::forbidden(
                "only the uploader can withdraw this torrent",
            ));
        }
    }
    if state.catalog().remove_torrent(ih).await?.is_some() {
        tracing::info!(info_hash = %hex_hash(&ih), "torrent withdrawn");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn download(
    state: Arc<AppState>,
    ih: String,
    key: Option<String>,
) -> Result<Response, ApiError> {
    let member = state.member(key).await?;
    let ih = info_hash_param(&ih)?;
    let (record, file) = state
        .db(move |s| Ok(s.torrent(&ih)?.zip(s.torrent_file(&ih)?)))
        .await?
        .ok_or_else(|| ApiError::not_found("no such torrent"))?;
    let body = metainfo::with_announce(&file, &member.announce_url(&state)).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("stored torrent unreadable: {e}"),
        )
    })?;
    // An uploader fetching their own torrent is not a grab.
    if record.uploader != member.user.id {
        let uid = member.user.id;
        state.catalog().grab(ih, uid).await?;
    }
    let mut resp = Response::new(body.into());
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/x-bittorrent"),
    );
    if let Ok(v) = header::HeaderValue::from_str(&content_disposition(&record.name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()[]".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String =
        url::form_urlencoded::byte_serialize(format!("{name}.torrent").as_bytes())
            .collect::<String>()
            .replace('+', "%20");
    format!("attachment; filename=\"{ascii}.torrent\"; filename*=UTF-8''{encoded}")
}
