//! Which store to open, from `--store`/`STORE_URL`: `redb:` (the file in
//! DATA_DIR), `redb:/folder`, or `mysql://user:password@host:port/database`.
//! A MySQL URL carries a password: it is only ever shown redacted.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

/// Which store to open.
#[derive(Clone)]
pub enum StoreConfig {
    /// `privateindexer.redb` in this folder (created when missing).
    Redb { data_dir: PathBuf },
    /// A MySQL 8 / MariaDB 10.11+ database (cargo feature `mysql`).
    Mysql(StoreUrl),
}

/// A database URL whose password never reaches a log, an error or `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(Url);

impl StoreUrl {
    /// The URL with its password, for the database driver only.
    pub fn secret(&self) -> &Url {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut u = self.0.clone();
        if u.password().is_some() {
            let _ = u.set_password(Some("***"));
        }
        u.to_string()
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({})", self.redacted())
    }
}

impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreConfig::Redb { data_dir } => write!(f, "redb:{}", data_dir.display()),
            StoreConfig::Mysql(url) => url.fmt(f),
        }
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreConfig({self})")
    }
}

impl StoreConfig {
    /// Reads a `--store` value; `redb:` alone means the file in `data_dir`.
    /// The error names what is wrong without repeating the value (it may hold a password).
    pub fn parse(raw: &str, data_dir: &Path) -> Result<StoreConfig, String> {
        let raw = raw.trim();
        if raw.is_empty() || raw == "redb:" {
            return Ok(StoreConfig::Redb {
                data_dir: data_dir.to_path_buf(),
            });
        }
        if let Some(dir) = raw.strip_prefix("redb:") {
            return Ok(StoreConfig::Redb {
                data_dir: PathBuf::from(dir),
            });
        }
        let scheme = raw.split_once("://").map(|(s, _)| s);
        if scheme != Some("mysql") {
            return Err(
                "must be `redb:`, `redb:/folder` or `mysql://user:password@host:port/database`"
                    .into(),
            );
        }
        let url = Url::parse(raw).map_err(|e| format!("not a valid URL ({e})"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err("a mysql:// URL needs a host".into());
        }
        let db = url.path().trim_start_matches('/');
        if db.is_empty() || db.contains('/') {
            return Err(
                "a mysql:// URL needs a database name as its path (mysql://…/privateindexer)"
                    .into(),
            );
        }
        Ok(StoreConfig::Mysql(StoreUrl(url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_and_never_show_the_password() {
        let data = Path::new("/var/lib/pi");
        assert!(matches!(
            StoreConfig::parse("redb:", data).unwrap(),
            StoreConfig::Redb { data_dir } if data_dir == data
        ));
        assert!(matches!(
            StoreConfig::parse("redb:/srv/x", data).unwrap(),
            StoreConfig::Redb { data_dir } if data_dir == Path::new("/srv/x")
        ));
        let url = "mysql://pi:s3cr%3At@db.lan:3306/privateindexer";
        let c = StoreConfig::parse(url, data).unwrap();
        for shown in [c.to_string(), format!("{c:?}")] {
            assert_eq!(
                shown
                    .trim_start_matches("StoreConfig(")
                    .trim_end_matches(')'),
                "mysql://pi:***@db.lan:3306/privateindexer"
            );
            assert!(!shown.contains("s3cr"), "{shown}");
        }
        let StoreConfig::Mysql(u) = c else { panic!() };
        assert_eq!(u.secret().password(), Some("s3cr%3At"));

        for bad in [
            "postgres://u:hunter2@h/db",
            "mysql://u:hunter2@/db",
            "mysql://u:hunter2@h",
            "mysql://u:hunter2@h/a/b",
            "mysql://u:hunter2@h:99999/db",
        ] {
            let e = StoreConfig::parse(bad, data).unwrap_err();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
        }
    }
}
