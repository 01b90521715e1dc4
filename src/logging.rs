//! Log set-up from `LOG_LEVEL`.

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a bad filter is a start-up error naming LOG_LEVEL.
pub fn init(level: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(level)
        .with_context(|| format!("LOG_LEVEL: invalid log filter {level:?}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install logger: {e}"))
}
