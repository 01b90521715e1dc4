//! The client API over real HTTP: members, uploads, downloads, sync, withdrawal.

use crate::harness::*;
use serde_json::json;

fn movie_meta() -> serde_json::Value {
    json!({"category": 2040, "title": "Movie (2020) [Bluray-1080p]-GRP", "imdb_id": "tt0133093", "year": 2020})
}

fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let pos = hay
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    [&hay[..pos], to, &hay[pos + from.len()..]].concat()
}

/// `GET /api/v1/me` as JSON.
async fn me_json(server: &Server, key: &str) -> serde_json::Value {
    api_get(server, "/api/v1/me", key)
        .await
        .json()
        .await
        .unwrap()
}

mod catalog;
mod members;
mod uploads;
