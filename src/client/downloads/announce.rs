//! The `event=completed` announce librqbit does not send: one request to the
//! torrent's own announce URL with the engine's peer id and counters.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    /// The URL is not named: it carries the passkey.
    #[error("tracker unreachable")]
    Unreachable,
    #[error("tracker answered HTTP {0}")]
    Status(u16),
    #[error("tracker refused it: {0}")]
    Failure(String),
}

/// `%XX` for every byte (the info-hash and peer id are raw bytes).
fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

pub async fn completed(
    http: &reqwest::Client,
    announce: &str,
    info_hash_hex: &str,
    peer_id: &[u8; 20],
    port: u16,
    uploaded: u64,
    downloaded: u64,
) -> Result<(), AnnounceError> {
    let ih =
        hex::decode(info_hash_hex).map_err(|_| AnnounceError::Failure("bad info-hash".into()))?;
    let sep = if announce.contains('?') { '&' } else { '?' };
    let url = format!(
        "{announce}{sep}info_hash={}&peer_id={}&port={port}&uploaded={uploaded}&downloaded={downloaded}&left=0&event=completed&compact=1",
        escape(&ih),
        escape(peer_id)
    );
    let resp = http
        .get(url)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|_| AnnounceError::Unreachable)?;
    if !resp.status().is_success() {
        return Err(AnnounceError::Status(resp.status().as_u16()));
    }
    let body = resp.bytes().await.map_err(|_| AnnounceError::Unreachable)?;
    if let Ok(root) = crate::bencode::decode(&body) {
        if let Some(reason) = root.get("failure reason").and_then(|n| n.as_str()) {
            return Err(AnnounceError::Failure(reason.chars().take(200).collect()));
        }
    }
    Ok(())
}
