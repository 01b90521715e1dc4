//! `sync/maindata` with qBittorrent's `rid` partial updates: a full update
//! for `rid=0` or a `rid` this session was not given (or no longer holds);
//! otherwise only what changed since that answer: new torrents whole,
//! changed ones by field, `torrents_removed`, changed categories whole,
//! `categories_removed`, `tags`/`tags_removed`, changed `server_state`
//! fields. Each session keeps its last [`KEPT`] answers, and at most
//! [`MAX_SESSIONS`] sessions are remembered: memory stays bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use super::torrents::transfer_info;
use super::Api;

/// Answers kept per session: the last one, and the one before (an app that
/// lost an answer asks again with the previous `rid`).
pub const KEPT: usize = 2;
/// Sessions remembered at once; the least recently asking one goes first.
pub const MAX_SESSIONS: usize = 64;

/// One full state as `sync/maindata` shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MainData {
    pub torrents: Map<String, Value>,
    pub categories: Map<String, Value>,
    pub tags: Vec<String>,
    pub server_state: Map<String, Value>,
}

struct Session {
    last_used: u64,
    answers: VecDeque<(u64, MainData)>,
}

/// The answers given, per session id.
#[derive(Default)]
pub struct History {
    inner: Mutex<(u64, HashMap<String, Session>)>,
}

impl History {
    /// The answer to `rid` for session `sid`, given `now` (the full state).
    pub fn answer(&self, sid: &str, rid: u64, now: MainData) -> Value {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (counter, sessions) = &mut *g;
        *counter += 1;
        let new_rid = *counter;
        let base = sessions.get(sid).and_then(|s| {
            s.answers
                .iter()
                .find(|(r, _)| rid != 0 && *r == rid)
                .map(|(_, d)| d)
        });
        let answer = match base {
            Some(old) => partial(new_rid, old, &now),
            None => full(new_rid, &now),
        };
        if !sessions.contains_key(sid) && sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                sessions.remove(&k);
            }
        }
        let s = sessions.entry(sid.to_string()).or_insert_with(|| Session {
            last_used: 0,
            answers: VecDeque::with_capacity(KEPT),
        });
        s.last_used = new_rid;
        if s.answers.len() >= KEPT {
            s.answers.pop_front();
        }
        s.answers.push_back((new_rid, now));
        answer
    }

    /// Forgets a session (logged out).
    pub fn forget(&self, sid: &str) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .remove(sid);
    }
}

fn full(rid: u64, d: &MainData) -> Value {
    json!({
        "rid": rid,
        "full_update": true,
        "torrents": d.torrents,
        "categories": d.categories,
        "tags": d.tags,
        "server_state": d.server_state,
    })
}

/// Fields of `new` that differ from `old`.
fn changed_fields(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn removed(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    old.keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect()
}

fn partial(rid: u64, old: &MainData, new: &MainData) -> Value {
    let mut out = Map::new();
    out.insert("rid".into(), json!(rid));
    let mut torrents = Map::new();
    for (ih, t) in &new.torrents {
        match (old.torrents.get(ih), t) {
            (Some(Value::Object(o)), Value::Object(n)) => {
                let c = changed_fields(o, n);
                if !c.is_empty() {
                    torrents.insert(ih.clone(), Value::Object(c));
                }
            }
            (Some(o), n) if o == n => {}
            _ => {
                torrents.insert(ih.clone(), t.clone());
            }
        }
    }
    let mut put = |k: &str, v: Value, empty: bool| {
        if !empty {
            out.insert(k.into(), v);
        }
    };
    put("torrents", json!(torrents), torrents.is_empty());
    let gone = removed(&old.torrents, &new.torrents);
    put("torrents_removed", json!(gone), gone.is_empty());
    let cats = changed_fields(&old.categories, &new.categories);
    put("categories", json!(cats), cats.is_empty());
    let gone = removed(&old.categories, &new.categories);
    put("categories_removed", json!(gone), gone.is_empty());
    let added: Vec<&String> = new.tags.iter().filter(|t| !old.tags.contains(t)).collect();
    put("tags", json!(added), added.is_empty());
    let gone: Vec<&String> = old.tags.iter().filter(|t| !new.tags.contains(t)).collect();
    put("tags_removed", json!(gone), gone.is_empty());
    let state = changed_fields(&old.server_state, &new.server_state);
    put("server_state", json!(state), state.is_empty());
    Value::Object(out)
}

/// The full state now.
pub fn now(api: &Api) -> MainData {
    let prefs = api.downloads.store().prefs().unwrap_or_default();
    let mut torrents = Map::new();
    for s in api.downloads.snapshots(None) {
        let mut v = super::json::info(&api.downloads, &s, &prefs);
        if let Some(o) = v.as_object_mut() {
            o.remove("hash");
        }
        torrents.insert(s.rec.info_hash.clone(), v);
    }
    let mut categories = Map::new();
    for (name, _) in api.downloads.store().categories().unwrap_or_default() {
        let folder = api.downloads.category_folder(&name);
        categories.insert(
            name.clone(),
            json!({"name": name, "savePath": api.downloads.mapper.to_arr(&folder)}),
        );
    }
    let mut server_state = match transfer_info(api) {
        Value::Object(o) => o,
        _ => Map::new(),
    };
    server_state.insert("queueing".into(), json!(false));
    MainData {
        torrents,
        categories,
        tags: api
            .downloads
            .store()
            .tags()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        server_state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(torrents: Value, cats: &[&str], tags: &[&str], speed: u64) -> MainData {
        MainData {
            torrents: torrents.as_object().unwrap().clone(),
            categories: cats
                .iter()
                .map(|c| (c.to_string(), json!({"name": c, "savePath": "/d"})))
                .collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            server_state: json!({"dl_info_speed": speed, "queueing": false})
                .as_object()
                .unwrap()
                .clone(),
        }
    }

    #[test]
    fn full_at_zero_and_for_an_unknown_rid_then_only_changes() {
        let h = History::default();
        let a = data(
            json!({"aa": {"state": "downloading", "progress": 0.5}}),
            &["radarr"],
            &["x"],
            10,
        );
        let first = h.answer("s1", 0, a.clone());
        assert_eq!(first["full_update"], true);
        assert_eq!(first["torrents"]["aa"]["progress"], 0.5);
        let rid = first["rid"].as_u64().unwrap();

        let same = h.answer("s1", rid, a.clone());
        assert_eq!(
            same.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["rid"],
            "{same}"
        );
        let rid2 = same["rid"].as_u64().unwrap();
        assert!(rid2 > rid);

        let b = data(
            json!({"aa": {"state": "downloading", "progress": 0.75}, "bb": {"state": "stoppedDL", "progress": 0.0}}),
            &["sonarr"],
            &["y"],
            10,
        );
        let d = h.answer("s1", rid2, b.clone());
        assert_eq!(d.get("full_update"), None);
        assert_eq!(
            d["torrents"]["aa"],
            json!({"progress": 0.75}),
            "changed fields only"
        );
        assert_eq!(
            d["torrents"]["bb"]["state"], "stoppedDL",
            "a new torrent whole"
        );
        assert_eq!(d["categories"]["sonarr"]["name"], "sonarr");
        assert_eq!(d["categories_removed"], json!(["radarr"]));
        assert_eq!(d["tags"], json!(["y"]));
        assert_eq!(d["tags_removed"], json!(["x"]));
        assert_eq!(d.get("server_state"), None);

        let c = data(
            json!({"bb": {"state": "stoppedDL", "progress": 0.0}}),
            &["sonarr"],
            &["y"],
            20,
        );
        let rid3 = d["rid"].as_u64().unwrap();
        let e = h.answer("s1", rid3, c.clone());
        assert_eq!(e["torrents_removed"], json!(["aa"]));
        assert_eq!(e["server_state"], json!({"dl_info_speed": 20}));
        // The previous answer's rid still works (kept: the last two).
        let again = h.answer("s1", rid3, c.clone());
        assert_eq!(again["torrents_removed"], json!(["aa"]));
        // Too old, unknown, or another session's: a full update.
        for (sid, r) in [("s1", rid), ("s1", 999_999), ("s2", rid3)] {
            assert_eq!(
                h.answer(sid, r, c.clone())["full_update"],
                true,
                "{sid} {r}"
            );
        }
    }

    #[test]
    fn memory_stays_bounded() {
        let h = History::default();
        for i in 0..(MAX_SESSIONS * 3) {
            for _ in 0..5 {
                h.answer(&format!("s{i}"), 0, MainData::default());
            }
        }
        let g = h.inner.lock().unwrap();
        assert_eq!(g.1.len(), MAX_SESSIONS);
        assert!(g.1.values().all(|s| s.answers.len() <= KEPT));
        drop(g);
        h.forget("s191");
        assert_eq!(h.inner.lock().unwrap().1.len(), MAX_SESSIONS - 1);
    }
}
