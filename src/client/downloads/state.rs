//! qBittorrent 5 state words from what the engine reports.

/// What the download engine says of one torrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Verifying files (first start or resume).
    Checking,
    Live,
    Paused,
    Error,
}

/// Inputs of the mapping, apart from the engine state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Activity {
    pub finished: bool,
    pub dl_speed: u64,
    pub up_speed: u64,
    /// Files of a finished download are gone from disk.
    pub files_missing: bool,
}

/// The `state` field of `torrents/info`, as qBittorrent 5 spells it.
pub fn qbt_state(engine: Engine, a: Activity) -> &'static str {
    if a.files_missing {
        return "missingFiles";
    }
    match (engine, a.finished) {
        (Engine::Error, _) => "error",
        (Engine::Checking, false) => "checkingDL",
        (Engine::Checking, true) => "checkingUP",
        (Engine::Paused, false) => "stoppedDL",
        (Engine::Paused, true) => "stoppedUP",
        (Engine::Live, false) if a.dl_speed > 0 => "downloading",
        (Engine::Live, false) => "stalledDL",
        (Engine::Live, true) if a.up_speed > 0 => "uploading",
        (Engine::Live, true) => "stalledUP",
    }
}

/// `filter` of `torrents/info`: whether a torrent in `state` matches.
pub fn matches_filter(filter: &str, state: &str) -> bool {
    let dl = state.ends_with("DL") || state == "downloading";
    let up = state.ends_with("UP") || state == "uploading";
    match filter {
        "" | "all" => true,
        "downloading" => dl,
        "seeding" => state == "uploading" || state == "stalledUP",
        "completed" => up,
        "stopped" | "paused" => state.starts_with("stopped"),
        "running" | "resumed" => !state.starts_with("stopped"),
        "active" => state == "downloading" || state == "uploading",
        "inactive" => state != "downloading" && state != "uploading",
        "stalled" => state.starts_with("stalled"),
        "stalled_uploading" => state == "stalledUP",
        "stalled_downloading" => state == "stalledDL",
        "checking" => state.starts_with("checking"),
        "moving" => false,
        "errored" => state == "error" || state == "missingFiles",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_state_has_its_word() {
        let idle = Activity::default();
        let done = Activity {
            finished: true,
            ..idle
        };
        assert_eq!(qbt_state(Engine::Checking, idle), "checkingDL");
        assert_eq!(qbt_state(Engine::Checking, done), "checkingUP");
        assert_eq!(qbt_state(Engine::Paused, idle), "stoppedDL");
        assert_eq!(qbt_state(Engine::Paused, done), "stoppedUP");
        assert_eq!(qbt_state(Engine::Live, idle), "stalledDL");
        assert_eq!(qbt_state(Engine::Live, done), "stalledUP");
        let moving = Activity {
            dl_speed: 1,
            up_speed: 1,
            ..idle
        };
        assert_eq!(qbt_state(Engine::Live, moving), "downloading");
        assert_eq!(
            qbt_state(
                Engine::Live,
                Activity {
                    finished: true,
                    ..moving
                }
            ),
            "uploading"
        );
        assert_eq!(qbt_state(Engine::Error, done), "error");
        let gone = Activity {
            files_missing: true,
            ..done
        };
        assert_eq!(qbt_state(Engine::Live, gone), "missingFiles");
    }

    #[test]
    fn filters() {
        assert!(matches_filter("completed", "stoppedUP"));
        assert!(!matches_filter("completed", "downloading"));
        assert!(matches_filter("downloading", "stalledDL"));
        assert!(matches_filter("stopped", "stoppedDL"));
        assert!(matches_filter("errored", "missingFiles"));
        assert!(!matches_filter("nonsense", "uploading"));
    }
}
