//! The PrivateIndexer server's client API, as this client calls it.

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

#[derive(Clone)]
pub struct ServerClient {
    base: String,
    key: String,
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
            key: key.to_string(),
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, ServerError> {
        let resp = req
            .header("X-Api-Key", &self.key)
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
