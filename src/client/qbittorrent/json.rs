//! The JSON shapes of qBittorrent 5's answers, from the engine's snapshots.

use serde_json::{json, Value};

use crate::client::downloads::limits;
use crate::client::downloads::store::Prefs;
use crate::client::downloads::{Downloads, Snapshot};

/// qBittorrent's "unknown" ETA.
pub const ETA_UNKNOWN: u64 = 8_640_000;

fn progress(s: &Snapshot) -> f64 {
    if s.rec.size == 0 {
        1.0
    } else {
        (s.done_bytes as f64 / s.rec.size as f64).min(1.0)
    }
}

/// One entry of `torrents/info` (and of `sync/maindata`).
pub fn info(d: &Downloads, s: &Snapshot, prefs: &Prefs) -> Value {
    let r = &s.rec;
    let save_path = d.mapper.to_arr(&r.save_path);
    let content_path = d.mapper.to_arr(&s.content_path());
    let ratio = limits::ratio(r);
    let ratio_limit = limits::ratio_limit(r, prefs);
    let seeding_limit = limits::seeding_time_limit(r, prefs);
    // Two halves: one `json!` of every field passes serde_json's macro recursion limit.
    let mut v = json!({
        "hash": r.info_hash,
        "infohash_v1": r.info_hash,
        "infohash_v2": "",
        "name": r.name,
        "size": r.size,
        "total_size": r.size,
        "progress": progress(s),
        "eta": s.eta.unwrap_or(ETA_UNKNOWN),
        "state": s.state,
        "category": r.category,
        "tags": r.tags.iter().cloned().collect::<Vec<_>>().join(", "),
        "save_path": save_path,
        "download_path": "",
        "content_path": content_path,
        "root_path": if r.multi || s.library { content_path.clone() } else { String::new() },
        "ratio": ratio,
        "ratio_limit": r.ratio_limit,
        "max_ratio": ratio_limit.unwrap_or(-1.0),
        "seeding_time": r.seeding_secs,
        "seeding_time_limit": r.seeding_time_limit,
        "max_seeding_time": seeding_limit.unwrap_or(-1),
        "inactive_seeding_time_limit": -2,
        "max_inactive_seeding_time": -1,
        "time_active": r.seeding_secs,
        "last_activity": if s.dl_speed + s.up_speed > 0 { now() } else { r.completion_on.max(r.added_on) },
        "added_on": r.added_on,
        "completion_on": if r.completion_on > 0 { r.completion_on } else { -1 },
        "amount_left": r.size.saturating_sub(s.done_bytes),
        "completed": s.done_bytes,
        "downloaded": r.downloaded,
        "uploaded": r.uploaded,
        "downloaded_session": r.downloaded,
        "uploaded_session": r.uploaded,
    });
    let more = json!({
        "dlspeed": s.dl_speed,
        "upspeed": s.up_speed,
        "dl_limit": -1,
        "up_limit": -1,
        "num_seeds": s.seeds,
        "num_leechs": s.peers.saturating_sub(s.seeds),
        "num_complete": s.seeds,
        "num_incomplete": s.peers.saturating_sub(s.seeds),
        "tracker": r.tracker,
        "trackers_count": u32::from(!r.tracker.is_empty()),
        "private": true,
        "priority": 0,
        "force_start": false,
        "auto_tmm": false,
        "seq_dl": false,
        "f_l_piece_prio": false,
        "super_seeding": false,
        "magnet_uri": "",
        "availability": if s.seeds > 0 { 1.0 } else { -1.0 },
        "popularity": 0,
        "reannounce": 0,
        "has_metadata": true,
    });
    if let (Some(a), Value::Object(b)) = (v.as_object_mut(), more) {
        a.extend(b);
    }
    v
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `torrents/properties`.
pub fn properties(d: &Downloads, s: &Snapshot) -> Value {
    let r = &s.rec;
    json!({
        "hash": r.info_hash,
        "infohash_v1": r.info_hash,
        "infohash_v2": "",
        "name": r.name,
        "save_path": d.mapper.to_arr(&r.save_path),
        "download_path": "",
        "creation_date": -1,
        "piece_size": -1,
        "comment": "",
        "created_by": "",
        "total_wasted": 0,
        "total_uploaded": r.uploaded,
        "total_uploaded_session": r.uploaded,
        "total_downloaded": r.downloaded,
        "total_downloaded_session": r.downloaded,
        "up_limit": -1,
        "dl_limit": -1,
        "time_elapsed": (now() - r.added_on).max(0),
        "seeding_time": r.seeding_secs,
        "nb_connections": s.peers,
        "nb_connections_limit": -1,
        "share_ratio": limits::ratio(r),
        "addition_date": r.added_on,
        "completion_date": if r.completion_on > 0 { r.completion_on } else { -1 },
        "last_seen": -1,
        "dl_speed": s.dl_speed,
        "dl_speed_avg": s.dl_speed,
        "up_speed": s.up_speed,
        "up_speed_avg": s.up_speed,
        "eta": s.eta.unwrap_or(ETA_UNKNOWN),
        "peers": s.peers.saturating_sub(s.seeds),
        "peers_total": s.peers.saturating_sub(s.seeds),
        "seeds": s.seeds,
        "seeds_total": s.seeds,
        "pieces_have": -1,
        "pieces_num": -1,
        "reannounce": 0,
        "total_size": r.size,
        "isPrivate": true,
        "is_private": true,
        "has_metadata": true,
    })
}

/// `torrents/files`.
pub fn files(s: &Snapshot) -> Value {
    let files: Vec<Value> = s
        .files
        .iter()
        .enumerate()
        .map(|(i, (path, len, have))| {
            // Names as qBittorrent gives them: inside the torrent's folder for a multi-file one.
            let name = if s.rec.multi {
                format!("{}/{path}", s.rec.name)
            } else {
                path.clone()
            };
            json!({
                "index": i,
                "name": name,
                "size": len,
                "progress": if *len == 0 { 1.0 } else { *have as f64 / *len as f64 },
                "priority": 1,
                "is_seed": have == len,
                "piece_range": [0, 0],
                "availability": -1,
            })
        })
        .collect();
    Value::Array(files)
}

/// `torrents/trackers`: the torrent's tracker, and DHT/PeX/LSD shown disabled.
pub fn trackers(s: &Snapshot) -> Value {
    let mut out: Vec<Value> = ["** [DHT] **", "** [PeX] **", "** [LSD] **"]
        .iter()
        .map(|u| json!({"url": u, "status": 0, "tier": -1, "num_peers": 0, "num_seeds": 0, "num_leeches": 0, "num_downloaded": 0, "msg": "This torrent is private"}))
        .collect();
    if !s.rec.tracker.is_empty() {
        // 1 not contacted yet, 2 working, 4 not working (qBittorrent's codes).
        let (status, msg) = match &s.tracker {
            Some(t) if t.error.is_some() => (4, t.error.clone().unwrap_or_default()),
            Some(t) => (
                if t.announced { 2 } else { 1 },
                t.message.clone().unwrap_or_default(),
            ),
            // Handed to the library seeder: it announces.
            None => (
                if s.peers > 0 || s.rec.completed_announced {
                    2
                } else {
                    1
                },
                String::new(),
            ),
        };
        out.push(json!({
            "url": s.rec.tracker,
            "status": status,
            "tier": 0,
            "num_peers": s.peers,
            "num_seeds": s.seeds,
            "num_leeches": s.peers.saturating_sub(s.seeds),
            "num_downloaded": -1,
            "msg": msg,
        }));
    }
    Value::Array(out)
}
