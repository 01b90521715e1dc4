//! `privateindexer healthcheck`: exit 0 when the role at HEALTHCHECK_URL answers its
//! health route (`GET /api/v1/health`, on the server and on the client's
//! CLIENT_BIND alike), for the image's HEALTHCHECK and for monitors.

use std::time::Duration;

use anyhow::{bail, Context};

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// Base URL of the role to check: the server (`BIND`) or the client (`CLIENT_BIND`).
    #[arg(
        long = "healthcheck-url",
        alias = "url",
        env = "HEALTHCHECK_URL",
        value_name = "HEALTHCHECK_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub url: String,

    /// Give up after this many seconds.
    #[arg(
        long = "healthcheck-timeout",
        alias = "timeout",
        env = "HEALTHCHECK_TIMEOUT",
        value_name = "HEALTHCHECK_TIMEOUT",
        default_value_t = 5
    )]
    pub timeout: u64,
}

pub fn run(args: HealthcheckArgs) -> anyhow::Result<()> {
    // Appended, not joined: a base behind a sub-path keeps its path.
    let url = format!("{}/api/v1/health", args.url.trim_end_matches('/'));
    let url = url::Url::parse(&url)
        .with_context(|| format!("HEALTHCHECK_URL: not a URL: {:?}", args.url))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(args.timeout.max(1)))
            .build()?
            .get(url.clone())
            .send()
            .await
            .map(|r| r.status())
    });
    match status {
        Ok(s) if s.is_success() => Ok(()),
        Ok(s) => bail!("{url} answered HTTP {}", s.as_u16()),
        Err(e) => bail!("{url} did not answer: {e}"),
    }
}
