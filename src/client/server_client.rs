//! The PrivateIndexer server's client API, as this client calls it.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

use crate::store::TorrentMeta;
use crate::wire::{Me, SyncRequest, SyncResponse, UploadResponse};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Worth retrying later: unreachable, timeout, 5xx, 429.
    #[error("server unreachable or failing: {0}")]
    Transient(String),
    #[error("the server refused API_KEY (HTTP {0})")]
    BadKey(u16),
    /// The server refused this request for good: its reason.
    #[error("server refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
}

/// What became of an upload.
pub enum UploadOutcome {
    Stored(UploadResponse),
    /// 409: another member shared the identical torrent first.
    Duplicate,
}

/// Why `API_KEY_FILE` gave no key. Never carries the file's content.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("API_KEY_FILE: cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("API_KEY_FILE: {path} is empty")]
    Empty { path: String },
    #[error("API_KEY_FILE: {path} does not hold one API key (printable ASCII, at most {MAX_KEY_CHARS} characters, on one line)")]
    NotAKey { path: String },
}

/// Far beyond the 43-character keys the server mints; bounds what is read.
const MAX_KEY_CHARS: usize = 256;

/// The API key in `path` (a mounted secret): its first line, trimmed. Read
/// again at every sync, so a rotated key is written there, not restarted for.
pub fn read_key_file(path: &Path) -> Result<String, KeyFileError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_CHARS as u64 + 2).read_to_end(&mut text))
        .map_err(|error| KeyFileError::Read {
            path: shown.clone(),
            error,
        })?;
    let text = String::from_utf8(text).map_err(|_| KeyFileError::NotAKey {
        path: shown.clone(),
    })?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let key = lines.next().ok_or(KeyFileError::Empty {
        path: shown.clone(),
    })?;
    if lines.next().is_some()
        || key.len() > MAX_KEY_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(KeyFileError::NotAKey { path: shown });
    }
    Ok(key.to_string())
}

#[derive(Clone)]
pub struct ServerClient {
    base: String,
    /// Shared by every clone (uploader, downloads, sync), so a key read
    /// again from `API_KEY_FILE` reaches them all at once.
    key: Arc<RwLock<String>>,
    http: reqwest::Client,
}

impl ServerClient {
    pub fn new(base: &Url, key: &str) -> ServerClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        ServerClient {
            // Accept the API root too (`…/api/v1`), as the reference system's setting held.
            base: base
                .as_str()
                .trim_end_matches('/')
                .trim_end_matches("/api/v1")
                .to_string(),
            key: Arc::new(RwLock::new(key.to_string())),
            http,
        }
    }

    /// Uses `key` from now on; true when it differs from the one in use.
    pub fn set_key(&self, key: &str) -> bool {
        let Ok(mut k) = self.key.write() else {
            return false;
        };
        if *k == key {
            return false;
        }
        *k = key.to_string();
        true
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, ServerError> {
        let key = self.key.read().map(|k| k.clone()).unwrap_or_default();
        let resp = req
            .header("X-Api-Key", key)
            .send()
            .await
            .map_err(|e| ServerError::Transient(super::arr::http::error_chain(&e)))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(ServerError::BadKey(status.as_u16()));
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ServerError::Transient(format!("HTTP {status}")));
        }
        Ok(resp)
    }

    async fn refused(resp: reqwest::Response) -> ServerError {
        let status = resp.status().as_u16();
        let message = resp
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_else(|| "no reason given".to_string());
        ServerError::Refused { status, message }
    }

    pub async fn me(&self) -> Result<Me, ServerError> {
        let resp = self.send(self.http.get(self.url("/me"))).await?;
        if resp.status() == StatusCode::FORBIDDEN {
            return Err(ServerError::BadKey(403));
        }
        if !resp.status().is_success() {
            return Err(Self::refused(resp).await);
        }
        resp.json()
            .await
            .map_err(|e| ServerError::Transient(format!("unreadable /me answer: {e}")))
    }

    pub async fn upload(
        &self,
        torrent: Vec<u8>,
        meta: &TorrentMeta,
    ) -> Result<UploadOutcome, ServerError> {
        let meta = serde_json::to_string(meta).map_err(|e| ServerError::Refused {
            status: 0,
            message: e.to_string(),
        })?;
        let form = reqwest::multipart::Form::new()
            .part(
                "torrent",
                reqwest::multipart::Part::bytes(torrent).file_name("upload.torrent"),
            )
            .text("meta", meta);
        let resp = self
            .send(self.http.post(self.url("/torrents")).multipart(form))
            .await?;
        match resp.status() {
            StatusCode::CREATED | StatusCode::OK => resp
                .json()
                .await
                .map(UploadOutcome::Stored)
                .map_err(|e| ServerError::Transient(format!("unreadable upload answer: {e}"))),
            StatusCode::CONFLICT => Ok(UploadOutcome::Duplicate),
            _ => Err(Self::refused(resp).await),
        }
    }

    /// Withdraws a torrent; one already gone counts as withdrawn.
    pub async fn withdraw(&self, info_hash: &str) -> Result<(), ServerError> {
        let resp = self
            .send(
                self.http
                    .delete(self.url(&format!("/torrents/{info_hash}"))),
            )
            .await?;
        match resp.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            _ => Err(Self::refused(resp).await),
        }
    }

    /// The .torrent with this member's announce URL written in; `None` when
    /// the server does not hold that info-hash.
    pub async fn download(&self, info_hash: &str) -> Result<Option<Vec<u8>>, ServerError> {
        let resp = self
            .send(
                self.http
                    .get(self.url(&format!("/torrents/{info_hash}/download"))),
            )
            .await?;
        match resp.status() {
            StatusCode::OK => resp
                .bytes()
                .await
                .map(|b| Some(b.to_vec()))
                .map_err(|e| ServerError::Transient(format!("download cut short: {e}"))),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(Self::refused(resp).await),
        }
    }

    pub async fn sync(&self, info_hashes: &[String]) -> Result<SyncResponse, ServerError> {
        let resp = self
            .send(self.http.post(self.url("/sync")).json(&SyncRequest {
                info_hashes: info_hashes.to_vec(),
            }))
            .await?;
        if !resp.status().is_success() {
            return Err(Self::refused(resp).await);
        }
        resp.json()
            .await
            .map_err(|e| ServerError::Transient(format!("unreadable sync answer: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_give_one_key_or_a_clear_error_without_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, body: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            p
        };
        let key = "Zm9vYmFyYmF6cXV4LWtleS0xMjM0NTY3ODkwYWJjZGVm";
        assert_eq!(
            read_key_file(&write("ok", format!("{key}\n").as_bytes())).unwrap(),
            key
        );
        assert_eq!(
            read_key_file(&write("crlf", format!("\r\n  {key}  \r\n").as_bytes())).unwrap(),
            key
        );
        assert!(matches!(
            read_key_file(&write("empty", b" \n\n")),
            Err(KeyFileError::Empty { .. })
        ));
        for (name, body) in [
            ("two", b"secret-one\nsecret-two\n".to_vec()),
            ("space", b"secret one".to_vec()),
            ("binary", vec![0xff, 0xfe, b's']),
            ("control", b"secret\x07bell".to_vec()),
            ("huge", vec![b's'; 10 << 20]),
        ] {
            let e = read_key_file(&write(name, &body)).unwrap_err();
            assert!(matches!(e, KeyFileError::NotAKey { .. }), "{name}: {e}");
            assert!(!e.to_string().contains("secret"), "{name}: {e}");
        }
        let e = read_key_file(&dir.path().join("absent")).unwrap_err();
        assert!(
            e.to_string().starts_with("API_KEY_FILE: cannot read"),
            "{e}"
        );
    }
}
