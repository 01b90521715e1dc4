//! Categories, tags and preferences.

use serde_json::{json, Map, Value};
use warp::http::StatusCode;

use super::form::{self, Params};
use super::{bad, json, ok, text, Api, Reply};
use crate::client::downloads::library::LIBRARY_CATEGORY;
use crate::client::downloads::store::Category;

fn failed(e: anyhow::Error) -> Reply {
    tracing::error!("qBittorrent API: client database: {e:#}");
    text(StatusCode::INTERNAL_SERVER_ERROR, "client database error")
}

pub fn list(api: &Api) -> Reply {
    let cats = match api.downloads.store().categories() {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let mut out = Map::new();
    for name in cats.into_keys() {
        let folder = api.downloads.category_folder(&name);
        out.insert(name.clone(), json!({"name": name, "savePath": api.downloads.mapper.to_arr(&folder), "downloadPath": Value::Null}));
    }
    out.insert(
        LIBRARY_CATEGORY.into(),
        json!({"name": LIBRARY_CATEGORY, "savePath": "", "downloadPath": Value::Null}),
    );
    json(&Value::Object(out))
}

/// `createCategory` (`edit` false) and `editCategory`.
pub fn create(api: &Api, p: &Params, edit: bool) -> Reply {
    let name = match form::category_name(p.get("category").unwrap_or("").trim()) {
        Ok(n) => n.to_string(),
        Err(e) => return bad(e),
    };
    if name == LIBRARY_CATEGORY {
        return text(
            StatusCode::CONFLICT,
            "the privateindexer category belongs to the library seeder",
        );
    }
    let save_path = p.get("savePath").unwrap_or("").trim().to_string();
    if !save_path.is_empty() {
        if let Err(e) = api.downloads.checked_save_path(&save_path) {
            return text(StatusCode::BAD_REQUEST, e.to_string());
        }
    }
    let cats = match api.downloads.store().categories() {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    match (edit, cats.contains_key(&name)) {
        (false, true) => return text(StatusCode::CONFLICT, "Category already exists"),
        (true, false) => return text(StatusCode::CONFLICT, "Category does not exist"),
        _ => {}
    }
    match api
        .downloads
        .store()
        .put_category(&name, &Category { save_path })
    {
        Ok(()) => ok(),
        Err(e) => failed(e),
    }
}

pub fn remove(api: &Api, p: &Params) -> Reply {
    let names: Vec<String> = p
        .get("categories")
        .unwrap_or("")
        .split('\n')
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != LIBRARY_CATEGORY)
        .map(str::to_string)
        .take(form::MAX_ITEMS)
        .collect();
    if let Err(e) = api.downloads.store().remove_categories(&names) {
        return failed(e);
    }
    let all = api.downloads.snapshots(None);
    let hit: std::collections::BTreeSet<String> = all
        .iter()
        .filter(|s| !s.library && names.contains(&s.rec.category))
        .map(|s| s.rec.info_hash.clone())
        .collect();
    match api.downloads.edit(&hit, |r| r.category.clear()) {
        Ok(_) => ok(),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub fn tags(api: &Api) -> Reply {
    match api.downloads.store().tags() {
        Ok(t) => json(&json!(t.into_iter().collect::<Vec<_>>())),
        Err(e) => failed(e),
    }
}

pub fn edit_tags(api: &Api, p: &Params, add: bool) -> Reply {
    let tags = match form::tag_list(p.get("tags")) {
        Ok(t) => t.into_iter().collect::<Vec<_>>(),
        Err(e) => return bad(e),
    };
    if let Err(e) = api.downloads.store().edit_tags(&tags, add) {
        return failed(e);
    }
    if !add {
        let all = api
            .downloads
            .snapshots(None)
            .into_iter()
            .map(|s| s.rec.info_hash)
            .collect();
        if let Err(e) = api
            .downloads
            .edit(&all, |r| r.tags.retain(|t| !tags.contains(t)))
        {
            return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    }
    ok()
}

pub fn preferences(api: &Api) -> Reply {
    let p = api.downloads.store().prefs().unwrap_or_default();
    json(&json!({
        "save_path": api.downloads.mapper.to_arr(api.downloads.downloads_dir()),
        "temp_path_enabled": false,
        "temp_path": "",
        "auto_tmm_enabled": false,
        "max_ratio_enabled": p.max_ratio_enabled,
        "max_ratio": p.max_ratio,
        "max_seeding_time_enabled": p.max_seeding_time_enabled,
        "max_seeding_time": p.max_seeding_time,
        "max_inactive_seeding_time_enabled": false,
        "max_inactive_seeding_time": -1,
        "max_ratio_act": 0,
        "queueing_enabled": false,
        "dht": false,
        "pex": false,
        "lsd": false,
        "upnp": false,
        "listen_port": api.downloads.listen_port().unwrap_or(0),
        "web_ui_username": "",
        "web_ui_session_timeout": 0,
        "anonymous_mode": false,
        "add_stopped_enabled": false,
        "start_paused_enabled": false,
    }))
}

pub fn set_preferences(api: &Api, p: &Params) -> Reply {
    let v: Value = match p.get("json").map(serde_json::from_str) {
        Some(Ok(v @ Value::Object(_))) => v,
        _ => return text(StatusCode::BAD_REQUEST, "json: expected a JSON object"),
    };
    let mut prefs = api.downloads.store().prefs().unwrap_or_default();
    if let Some(b) = v.get("max_ratio_enabled").and_then(Value::as_bool) {
        prefs.max_ratio_enabled = b;
    }
    if let Some(r) = v.get("max_ratio").and_then(Value::as_f64) {
        prefs.max_ratio = r;
    }
    if let Some(b) = v.get("max_seeding_time_enabled").and_then(Value::as_bool) {
        prefs.max_seeding_time_enabled = b;
    }
    if let Some(m) = v.get("max_seeding_time").and_then(Value::as_i64) {
        prefs.max_seeding_time = m;
    }
    match api.downloads.store().set_prefs(&prefs) {
        Ok(()) => ok(),
        Err(e) => failed(e),
    }
}
