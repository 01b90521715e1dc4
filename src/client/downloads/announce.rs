//! The announces librqbit does not send (`completed`, `stopped`): one request
//! to the torrent's own announce URL with the engine's peer id and totals.

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

pub async fn send(
    http: &reqwest::Client,
    event: &str,
    rec: &super::store::Download,
    peer_id: &[u8; 20],
    port: u16,
) -> Result<(), AnnounceError> {
    let (announce, uploaded, downloaded) = (&rec.tracker, rec.uploaded, rec.downloaded);
    let ih =
        hex::decode(&rec.info_hash).map_err(|_| AnnounceError::Failure("bad info-hash".into()))?;
    let sep = if announce.contains('?') { '&' } else { '?' };
    let url = format!(
        "{announce}{sep}info_hash={}&peer_id={}&port={port}&uploaded={uploaded}&downloaded={downloaded}&left=0&event={event}&compact=1",
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
