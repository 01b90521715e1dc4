//! Log set-up from `LOG_LEVEL`.

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a bad filter is a start-up error naming LOG_LEVEL.
pub fn init(level: &str) -> anyhow::Result<()> {
    let mut filter = EnvFilter::try_new(level)
        .with_context(|| format!("LOG_LEVEL: invalid log filter {level:?}"))?;
    // warp's request spans (`web::filters::request_span`) also log two lines per
    // request (info, or warn for each 4xx); only its 5xx lines stay, unless asked for by name.
    if !level.contains("warp") {
        filter = filter.add_directive("warp::filters::trace=error".parse()?);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install logger: {e}"))
}
