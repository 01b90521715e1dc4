//! Log set-up from `LOG_LEVEL`.

use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a bad filter is a start-up error naming LOG_LEVEL.
/// Colours only on a terminal (and not with `NO_COLOR`): docker logs and
/// journald get plain lines.
pub fn init(level: &str) -> anyhow::Result<()> {
    let directive = level_directive(level);
    let filter = EnvFilter::try_new(&directive)
        .with_context(|| format!("LOG_LEVEL: invalid log filter {level:?}"))?;
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install logger: {e}"))
}

/// The reference system's level words (Python logging: `WARNING`, `CRITICAL`,
/// any case) as tracing levels; a tracing directive passes unchanged.
fn level_directive(level: &str) -> String {
    let word = level.trim().to_ascii_lowercase();
    match word.as_str() {
        "warning" => "warn".into(),
        "critical" | "fatal" => "error".into(),
        "error" | "warn" | "info" | "debug" | "trace" | "off" => word,
        _ => level.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::level_directive;

    #[test]
    fn reference_level_words_map_in_any_case() {
        assert_eq!(level_directive("WARNING"), "warn");
        assert_eq!(level_directive("Critical"), "error");
        assert_eq!(level_directive("ERROR"), "error");
        assert_eq!(level_directive(" Info "), "info");
        assert_eq!(level_directive("DEBUG"), "debug");
        assert_eq!(
            level_directive("privateindexer=debug"),
            "privateindexer=debug"
        );
        assert!(tracing_subscriber::EnvFilter::try_new(level_directive("verbose!!")).is_err());
    }
}
