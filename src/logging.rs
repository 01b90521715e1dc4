//! Log set-up from `LOG_LEVEL`.

use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::EnvFilter;

/// Libraries whose debug and trace lines carry raw request paths, queries or
/// headers (warp logs every path segment it matches, so `/announce/<passkey>`),
/// where passkeys and API keys travel, and librqbit's tracker spans, which
/// name the download relay's URL with its token. They log at `info` at most,
/// whatever `LOG_LEVEL` says: no level may write a key.
const CLAMPED: &[&str] = &[
    "warp=info",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "reqwest=info",
    "librqbit_tracker_comms=info",
];

/// The filter `LOG_LEVEL` names, with the libraries above held at `info`.
pub fn filter(level: &str) -> anyhow::Result<EnvFilter> {
    let mut filter = EnvFilter::try_new(level_directive(level))
        .with_context(|| format!("LOG_LEVEL: invalid log filter {level:?}"))?;
    // warp's request spans (`web::filters::request_span`) also log two lines per
    // request (info, or warn for each 4xx); only its 5xx lines stay, unless asked for by name.
    if !level.contains("warp") {
        filter = filter.add_directive("warp::filters::trace=error".parse()?);
    }
    for clamp in CLAMPED {
        let directive: Directive = clamp
            .parse()
            .with_context(|| format!("log filter {clamp:?}"))?;
        filter = filter.add_directive(directive);
    }
    Ok(filter)
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

/// Installs the global subscriber; a bad filter is a start-up error naming LOG_LEVEL.
/// Colours only on a terminal (and not with `NO_COLOR`): docker logs and
/// journald get plain lines.
pub fn init(level: &str) -> anyhow::Result<()> {
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter(level)?)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install logger: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What a subscriber with `filter(level)` writes for a few events.
    fn written(level: &str) -> String {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(level).unwrap())
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "warp::filters::path", "param?: \"secret-passkey\"");
            tracing::debug!(target: "hyper::proto", "secret-header");
            tracing::info!(target: "warp::server", "listening");
            tracing::trace!(target: "privateindexer::tracker", "ours at trace");
        });
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn library_request_traces_stay_off_at_every_level() {
        for level in [
            "trace",
            "debug",
            "trace,warp=trace,hyper=trace",
            "warp=trace",
        ] {
            let log = written(level);
            assert!(!log.contains("secret"), "{level}: {log}");
            assert!(log.contains("listening"), "{level}: {log}");
        }
        assert!(written("trace").contains("ours at trace"));
        assert!(filter("no=such=level").is_err());
    }

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
        assert!(filter("WARNING").is_ok() && filter("no=such=level").is_err());
    }
}
