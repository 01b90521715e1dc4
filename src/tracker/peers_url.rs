//! PEERS_URL: where peers live. The URL may carry a password, so it is only ever
//! shown redacted (Debug and Display alike).

use std::fmt;

use anyhow::bail;

/// A `redis://` or `rediss://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct PeersUrl(String);

impl PeersUrl {
    /// `None` for the in-process default (unset, empty or `memory`).
    pub fn parse(raw: Option<&str>) -> anyhow::Result<Option<PeersUrl>> {
        let raw = match raw.map(str::trim) {
            None | Some("" | "memory") => return Ok(None),
            Some(r) => r,
        };
        let url = PeersUrl(raw.to_string());
        let Ok(parsed) = url::Url::parse(raw) else {
            bail!("PEERS_URL: not a URL (expected memory or redis://host:6379/0)");
        };
        if !matches!(parsed.scheme(), "redis" | "rediss") || parsed.host_str().is_none() {
            bail!("PEERS_URL: {url} is not a Redis URL (expected memory or redis://host:6379/0)");
        }
        if !cfg!(feature = "redis") {
            bail!(
                "PEERS_URL: {url} needs a build with the Redis peer store \
                 (cargo build --release --features redis)"
            );
        }
        Ok(Some(url))
    }

    /// The URL with its password, for the Redis client only.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeersUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                write!(f, "{u}")
            }
            Err(_) => f.write_str("(unparsable URL)"),
        }
    }
}

impl fmt::Debug for PeersUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeersUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_process_is_the_default_and_passwords_never_show() {
        assert_eq!(PeersUrl::parse(None).unwrap(), None);
        assert_eq!(PeersUrl::parse(Some("memory")).unwrap(), None);
        let raw = "redis://:hunter2secret@10.0.0.5:6379/0";
        match PeersUrl::parse(Some(raw)) {
            Ok(Some(u)) => {
                assert_eq!(u.secret(), raw);
                for shown in [u.to_string(), format!("{u:?}")] {
                    assert!(!shown.contains("hunter2secret"), "{shown}");
                    assert!(shown.contains("10.0.0.5:6379"), "{shown}");
                }
            }
            Ok(None) => panic!("a redis URL is not the default"),
            // Without the feature: a clear refusal, still without the password.
            Err(e) if cfg!(feature = "redis") => panic!("a redis URL is refused: {e}"),
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.contains("--features redis") && !e.contains("hunter2secret"),
                    "{e}"
                );
            }
        }
        for bad in ["mysql://u:pw123@h/db", "redis://", "not a url pw123"] {
            let e = PeersUrl::parse(Some(bad)).unwrap_err().to_string();
            assert!(e.starts_with("PEERS_URL") && !e.contains("pw123"), "{e}");
        }
    }
}
