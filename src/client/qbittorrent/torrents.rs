//! `torrents/*` and `transfer/info`.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use warp::http::StatusCode;

use super::form::{self, Params};
use super::{bad, json, ok, text, Api, Reply, Req};
use crate::client::downloads::library::LIBRARY_CATEGORY;
use crate::client::downloads::{AddOptions, DownloadError, Downloads, Snapshot};

fn engine_err(e: DownloadError) -> Reply {
    match e {
        DownloadError::Library => text(
            StatusCode::CONFLICT,
            "library seeds belong to the scanner: not changed",
        ),
        DownloadError::NotFound => text(StatusCode::NOT_FOUND, "Torrent hash was not found"),
        DownloadError::OutsideDownloads => text(StatusCode::BAD_REQUEST, e.to_string()),
        e => {
            tracing::error!("qBittorrent API: {e}");
            text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}

/// The downloads `hashes` names (`all` = every download, no library seed).
fn targets(api: &Api, p: &Params) -> Result<BTreeSet<String>, form::FormError> {
    let asked = form::hashes(p.get("hashes").or(p.get("hash")))?;
    Ok(match asked {
        Some(h) => h,
        None => api
            .downloads
            .snapshots(None)
            .into_iter()
            .filter(|s| !s.library)
            .map(|s| s.rec.info_hash)
            .collect(),
    })
}

fn touches_library(api: &Api, hashes: &BTreeSet<String>) -> bool {
    hashes.iter().any(|h| api.downloads.is_library(h))
}

pub fn info(api: &Api, p: &Params) -> Reply {
    let only = match p.get("hashes").map(|h| form::hashes(Some(h))).transpose() {
        Ok(h) => h.flatten(),
        Err(e) => return bad(e),
    };
    let prefs = api.downloads.store().prefs().unwrap_or_default();
    let filter = p.get("filter").unwrap_or("all");
    let mut list: Vec<Snapshot> = api
        .downloads
        .snapshots(only.as_ref())
        .into_iter()
        .filter(|s| p.get("category").is_none_or(|c| s.rec.category == c))
        .filter(|s| {
            p.get("tag").is_none_or(|t| {
                if t.is_empty() {
                    s.rec.tags.is_empty()
                } else {
                    s.rec.tags.contains(t)
                }
            })
        })
        .filter(|s| crate::client::downloads::state::matches_filter(filter, s.state))
        .collect();
    let mut out: Vec<Value> = list
        .drain(..)
        .map(|s| json::info(&api.downloads, &s, &prefs))
        .collect();
    if let Some(key) = p.get("sort") {
        out.sort_by(|a, b| cmp_json(&a[key], &b[key]));
        if p.flag("reverse") {
            out.reverse();
        }
    }
    let offset: usize = form::number::<i64>(p, "offset")
        .ok()
        .flatten()
        .map_or(0, |o| o.max(0) as usize);
    let limit: usize = form::number::<i64>(p, "limit")
        .ok()
        .flatten()
        .filter(|l| *l > 0)
        .map_or(usize::MAX, |l| l as usize);
    json(&Value::Array(
        out.into_iter().skip(offset).take(limit).collect(),
    ))
}

fn cmp_json(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.as_str().unwrap_or("").cmp(b.as_str().unwrap_or("")),
    }
}

/// Endpoints about one torrent (`hash`): 404 for an unknown one.
pub fn one(api: &Api, p: &Params, view: impl Fn(&Downloads, &Snapshot) -> Value) -> Reply {
    let hash = match form::one_hash(p.get("hash").unwrap_or("")) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    match api
        .downloads
        .snapshots(Some(&BTreeSet::from([hash])))
        .first()
    {
        Some(s) => json(&view(&api.downloads, s)),
        None => text(StatusCode::NOT_FOUND, "Torrent hash was not found"),
    }
}

fn fails(why: impl std::fmt::Display) -> Reply {
    tracing::warn!("qBittorrent API: torrents/add refused: {why}");
    text(StatusCode::OK, "Fails.")
}

pub async fn add(api: &Api, req: &Req) -> Reply {
    let p = &req.params;
    let category = p.get("category").unwrap_or("").trim().to_string();
    if !category.is_empty() {
        if let Err(e) = form::category_name(&category) {
            return bad(e);
        }
        if category == LIBRARY_CATEGORY {
            return fails("category privateindexer is the library seeder's");
        }
    }
    let tags = match form::tag_list(p.get("tags")) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let save_path = match p.get("savepath").map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => match api.downloads.checked_save_path(s) {
            Ok(p) => Some(p),
            Err(e) => return fails(e),
        },
        None => None,
    };
    let (ratio_limit, seeding_time_limit) = match (
        form::number::<f64>(p, "ratioLimit"),
        form::number::<i64>(p, "seedingTimeLimit"),
    ) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => return bad(e),
    };
    let opts = AddOptions {
        category: category.clone(),
        tags: tags.clone(),
        save_path,
        stopped: p.flag("stopped") || p.flag("paused"),
        ratio_limit,
        seeding_time_limit,
    };
    let urls: Vec<&str> = p
        .get("urls")
        .unwrap_or("")
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .take(form::MAX_ITEMS)
        .collect();
    if p.files.is_empty() && urls.is_empty() {
        return fails("neither a torrents file nor urls");
    }
    let mut admitted = Vec::new();
    for f in &p.files {
        match api.downloads.admission.file(f).await {
            Ok(a) => admitted.push(a),
            Err(e) => return fails(e),
        }
    }
    for u in urls {
        match api.downloads.admission.url(u).await {
            Ok(a) => admitted.push(a),
            Err(e) => return fails(e),
        }
    }
    // Categories and tags an add names become known ones, as in qBittorrent.
    if unknown_category(api, &category) {
        let _ = api
            .downloads
            .store()
            .put_category(&category, &Default::default());
    }
    if !tags.is_empty() {
        let _ = api
            .downloads
            .store()
            .edit_tags(&tags.iter().cloned().collect::<Vec<_>>(), true);
    }
    for a in admitted {
        if let Err(e) = api.downloads.add(a, opts.clone()).await {
            return fails(e);
        }
    }
    text(StatusCode::OK, "Ok.")
}

pub async fn delete(api: &Api, p: &Params) -> Reply {
    let hashes = match targets(api, p) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    match api.downloads.delete(&hashes, p.flag("deleteFiles")).await {
        Ok(()) => ok(),
        Err(e) => engine_err(e),
    }
}

pub async fn stop_start(api: &Api, p: &Params, stop: bool) -> Reply {
    let hashes = match targets(api, p) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    match api.downloads.set_stopped(&hashes, stop).await {
        Ok(()) => ok(),
        Err(e) => engine_err(e),
    }
}

/// `recheck` and `setLocation`: refused on library seeds; downloads are
/// verified piece by piece as they arrive and stay where they are.
pub fn library_guard(api: &Api, p: &Params) -> Reply {
    match targets(api, p) {
        Ok(h) if touches_library(api, &h) => engine_err(DownloadError::Library),
        Ok(_) => ok(),
        Err(e) => bad(e),
    }
}

/// `reannounce`: "announce now" for each torrent (the library seeder's or the
/// download engine's), deferred while the tracker's `min interval` runs.
pub async fn reannounce(api: &Api, p: &Params) -> Reply {
    let hashes = match targets(api, p) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    for h in &hashes {
        let answer = api.downloads.reannounce(api.seeder.as_deref(), h).await;
        tracing::debug!(info_hash = %h, ?answer, "torrents/reannounce");
    }
    ok()
}

/// Requests that change nothing here (queueing is off) but must name valid hashes.
pub fn known(api: &Api, p: &Params) -> Reply {
    match targets(api, p) {
        Ok(_) => ok(),
        Err(e) => bad(e),
    }
}

/// A category name that is not empty and not one of the known ones.
fn unknown_category(api: &Api, category: &str) -> bool {
    !category.is_empty()
        && !api
            .downloads
            .store()
            .categories()
            .is_ok_and(|c| c.contains_key(category))
}

pub fn set_category(api: &Api, p: &Params) -> Reply {
    let hashes = match targets(api, p) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    let category = p.get("category").unwrap_or("").trim().to_string();
    if unknown_category(api, &category) {
        return text(StatusCode::CONFLICT, "Incorrect category name");
    }
    if touches_library(api, &hashes) {
        return engine_err(DownloadError::Library);
    }
    match api
        .downloads
        .edit(&hashes, |r| r.category = category.clone())
    {
        Ok(_) => ok(),
        Err(e) => engine_err(e),
    }
}

pub fn tag(api: &Api, p: &Params, add: bool) -> Reply {
    let hashes = match targets(api, p) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    let tags = match form::tag_list(p.get("tags")) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    if add {
        let _ = api
            .downloads
            .store()
            .edit_tags(&tags.iter().cloned().collect::<Vec<_>>(), true);
    }
    let r = api.downloads.edit(&hashes, |r| {
        if add {
            r.tags.extend(tags.iter().cloned());
        } else if tags.is_empty() {
            r.tags.clear();
        } else {
            r.tags.retain(|t| !tags.contains(t));
        }
    });
    match r {
        Ok(_) => ok(),
        Err(e) => engine_err(e),
    }
}

pub fn share_limits(api: &Api, p: &Params) -> Reply {
    let hashes = match targets(api, p) {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    let (ratio, minutes) = match (
        form::number::<f64>(p, "ratioLimit"),
        form::number::<i64>(p, "seedingTimeLimit"),
    ) {
        (Ok(Some(r)), Ok(Some(s))) => (r, s),
        (Err(e), _) | (_, Err(e)) => return bad(e),
        _ => {
            return text(
                StatusCode::BAD_REQUEST,
                "ratioLimit and seedingTimeLimit are required",
            )
        }
    };
    if !(ratio >= -2.0 && ratio.is_finite()) || minutes < -2 {
        return text(
            StatusCode::BAD_REQUEST,
            "limits: -2 (global), -1 (none) or a value >= 0",
        );
    }
    match api.downloads.edit(&hashes, |r| {
        r.ratio_limit = ratio;
        r.seeding_time_limit = minutes;
    }) {
        Ok(_) => ok(),
        Err(e) => engine_err(e),
    }
}

pub fn transfer_info(api: &Api) -> Value {
    let all = api.downloads.snapshots(None);
    json!({
        "dl_info_speed": all.iter().map(|s| s.dl_speed).sum::<u64>(),
        "dl_info_data": all.iter().map(|s| s.rec.downloaded).sum::<u64>(),
        "up_info_speed": all.iter().map(|s| s.up_speed).sum::<u64>(),
        "up_info_data": all.iter().map(|s| s.rec.uploaded).sum::<u64>(),
        "dl_rate_limit": 0,
        "up_rate_limit": 0,
        "dht_nodes": 0,
        "connection_status": "connected",
    })
}
