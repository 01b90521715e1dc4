//! Settings of the Python PrivateIndexer stack that this binary does not use:
//! a member migrating keeps their compose file, so each such name set is
//! named once at start with what to do instead, rather than silently ignored.

/// Which role is starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

/// (name, roles it was read by there, what to do here).
const UNUSED: &[(&str, &[Role], &str)] = &[
    (
        "TRACKER_API_URL",
        &[Role::Client],
        "the tracker is part of the server now; announce URLs come from INDEXER_API_URL",
    ),
    (
        "UID",
        &[Role::Server, Role::Client],
        "the image reads PUID (and PGID) instead",
    ),
    (
        "GID",
        &[Role::Server, Role::Client],
        "the image reads PGID (and PUID) instead",
    ),
    (
        "TAG_SEARCH_RESULTS",
        &[Role::Server],
        "Torznab results carry the uploader and ids as attributes; nothing to set",
    ),
];

/// One warning line per reference setting that is set but unused by `role`.
pub fn unused(role: Role, get: impl Fn(&str) -> Option<String>) -> Vec<String> {
    UNUSED
        .iter()
        .filter(|(name, roles, _)| roles.contains(&role) && get(name).is_some())
        .map(|(name, _, instead)| format!("{name} is not used by this version ({instead})"))
        .collect()
}

/// Logs [`unused`] for the real environment.
pub fn warn_unused(role: Role) {
    for line in unused(role, |n| {
        std::env::var_os(n).map(|v| v.to_string_lossy().into_owned())
    }) {
        tracing::warn!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_reference_setting_once_per_role() {
        let env = |n: &str| {
            matches!(n, "TRACKER_API_URL" | "UID" | "TAG_SEARCH_RESULTS").then(String::new)
        };
        let client = unused(Role::Client, env);
        assert_eq!(client.len(), 2, "{client:?}");
        assert!(client[0].starts_with("TRACKER_API_URL is not used"));
        assert!(client[1].contains("PUID"));
        let server = unused(Role::Server, env);
        assert_eq!(server.len(), 2, "{server:?}");
        assert!(server.iter().any(|l| l.starts_with("TAG_SEARCH_RESULTS")));
        assert!(unused(Role::Server, |_| None).is_empty());
    }
}
