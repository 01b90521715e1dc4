//! HTTP to one *arr app: API key header, timeouts, retries on transient errors.

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use url::Url;

use super::App;

/// Attempts per request; transient failures (connection, timeout, 5xx) are retried.
const ATTEMPTS: u32 = 3;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ArrError {
    #[error("{app} at {url} is unreachable: {reason}")]
    Unreachable {
        app: App,
        url: String,
        reason: String,
    },
    #[error("{app} refused the API key (HTTP {status}); check {}_API_KEY", app.env_prefix())]
    BadKey { app: App, status: u16 },
    #[error("{app} answered HTTP {status} for {path}{}", hint(*status))]
    Status { app: App, path: String, status: u16 },
    #[error("{app} answered {path} with JSON this client cannot read: {reason}")]
    Invalid {
        app: App,
        path: String,
        reason: String,
    },
    #[error("{0}")]
    WrongApp(String),
}

fn hint(status: u16) -> &'static str {
    if status == 404 {
        " (wrong URL, URL base, or an app version without this API)"
    } else {
        ""
    }
}

#[derive(Debug, Clone)]
pub struct ArrHttp {
    app: App,
    /// Base URL without a trailing slash, including any URL base.
    base: String,
    key: String,
    http: reqwest::Client,
}

impl ArrHttp {
    pub fn new(app: App, url: &Url, key: &str) -> ArrHttp {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .unwrap_or_default();
        ArrHttp {
            app,
            base: url.as_str().trim_end_matches('/').to_string(),
            key: key.to_string(),
            http,
        }
    }

    pub fn app(&self) -> App {
        self.app
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `{base}{api}{path}` with `query`, decoded as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ArrError> {
        let url = format!("{}{}{}", self.base, self.app.api(), path);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            let resp = self
                .http
                .get(&url)
                .header("X-Api-Key", &self.key)
                .query(query)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    last = error_chain(&e);
                    continue;
                }
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return Err(ArrError::BadKey {
                    app: self.app,
                    status: status.as_u16(),
                });
            }
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                last = format!("HTTP {status}");
                if attempt + 1 == ATTEMPTS {
                    return Err(ArrError::Status {
                        app: self.app,
                        path: path.to_string(),
                        status: status.as_u16(),
                    });
                }
                continue;
            }
            if !status.is_success() {
                return Err(ArrError::Status {
                    app: self.app,
                    path: path.to_string(),
                    status: status.as_u16(),
                });
            }
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    last = error_chain(&e);
                    continue;
                }
            };
            return serde_json::from_slice(&body).map_err(|e| ArrError::Invalid {
                app: self.app,
                path: path.to_string(),
                reason: e.to_string(),
            });
        }
        Err(ArrError::Unreachable {
            app: self.app,
            url: self.base.clone(),
            reason: last,
        })
    }

    /// Checks this is the expected app, answering the API this client speaks.
    pub async fn check_status(&self) -> Result<String, ArrError> {
        let s: super::models::SystemStatus = self.get("/system/status", &[]).await?;
        let name = s.app_name.unwrap_or_default();
        let version = s.version.unwrap_or_default();
        if !name.eq_ignore_ascii_case(self.app.name()) {
            return Err(ArrError::WrongApp(format!(
                "{}_URL ({}) answers as {:?}, not {}",
                self.app.env_prefix(),
                self.base,
                name,
                self.app.name()
            )));
        }
        let major: u64 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < self.app.min_major() {
            return Err(ArrError::WrongApp(format!(
                "{} {version} is too old: this client needs {} {} or newer (API {})",
                self.app.name(),
                self.app.name(),
                self.app.min_major(),
                self.app.api()
            )));
        }
        Ok(version)
    }
}

/// The error with its causes, never the URL's query (no keys go in URLs anyway).
pub fn error_chain(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
