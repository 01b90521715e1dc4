//! `POST /api/v1/torrents`: multipart `torrent` + `meta`, validated before anything is stored.

use bytes::{Buf, BytesMut};
use futures_util::TryStreamExt;
use warp::http::StatusCode;
use warp::multipart::FormData;

use crate::metainfo::{self, MAX_TORRENT_BYTES};
use crate::store::TorrentMeta;
use crate::torrent_meta;
use crate::web::json::ApiError;

/// Whole multipart body limit: the torrent cap plus room for metadata and framing.
pub const MAX_FORM_BYTES: u64 = MAX_TORRENT_BYTES as u64 + 256 * 1024;
const MAX_META_BYTES: usize = 64 * 1024;

pub struct UploadForm {
    pub torrent: Vec<u8>,
    pub meta: Vec<u8>,
}

/// Reads the two parts, each under its own cap; unknown parts are refused.
pub async fn read_form(mut form: FormData) -> Result<UploadForm, ApiError> {
    let mut torrent = None;
    let mut meta = None;
    while let Some(part) = form
        .try_next()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
    {
        let name = part.name().to_string();
        let cap = match name.as_str() {
            "torrent" => MAX_TORRENT_BYTES,
            "meta" => MAX_META_BYTES,
            other => {
                return Err(ApiError::bad_request(format!(
                    "unexpected form field {other:?} (expected torrent and meta)"
                )))
            }
        };
        let mut buf = BytesMut::new();
        let mut stream = part.stream();
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
        {
            if buf.len() + chunk.remaining() > cap {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("{name} is larger than {cap} bytes"),
                ));
            }
            buf.extend_from_slice(chunk.chunk());
        }
        let slot = if name == "torrent" {
            &mut torrent
        } else {
            &mut meta
        };
        if slot.replace(buf.to_vec()).is_some() {
            return Err(ApiError::bad_request(format!(
                "form field {name} given twice"
            )));
        }
    }
    Ok(UploadForm {
        torrent: torrent.ok_or_else(|| ApiError::bad_request("missing form field torrent"))?,
        meta: meta.ok_or_else(|| ApiError::bad_request("missing form field meta"))?,
    })
}

/// Validates the torrent on the blocking pool: bencode and SHA-1 of up to 10 MiB are
/// milliseconds of CPU that must not hold an async worker other requests are waiting on.
pub async fn parse_torrent(bytes: Vec<u8>) -> Result<metainfo::Metainfo, ApiError> {
    let parsed = tokio::task::spawn_blocking(move || metainfo::parse(&bytes))
        .await
        .map_err(|e| {
            // The panic text stays in the log: it is no answer for a client.
            tracing::error!("torrent validation task failed: {e}");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        })?;
    parsed.map_err(|e| {
        ApiError::new(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_string(),
        )
    })
}

/// Parses and checks the metadata JSON.
pub fn parse_meta(bytes: &[u8]) -> Result<TorrentMeta, ApiError> {
    let meta: TorrentMeta =
        serde_json::from_slice(bytes).map_err(|e| ApiError::unprocessable(format!("meta: {e}")))?;
    torrent_meta::check(meta).map_err(|e| ApiError::unprocessable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the one blocking thread held, an offloaded parse cannot finish while the
    /// async side runs on; a parse on the async worker would finish on its first poll.
    #[test]
    fn torrent_parsing_runs_off_the_async_workers() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        rt.block_on(async {
            let blocker = tokio::task::spawn_blocking(move || held.recv());
            let parse = tokio::spawn(parse_torrent(b"not bencode".to_vec()));
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            assert!(!parse.is_finished(), "the parse ran on the async worker");
            release.send(()).unwrap();
            let err = parse.await.unwrap().expect_err("not bencode was accepted");
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            blocker.await.unwrap().unwrap();
        });
    }
}
