//! Reading the legacy MySQL database: the URL (shown only without its
//! password) and the two tables, as plain rows for `convert`.

use anyhow::{anyhow, bail};
use sqlx::mysql::{MySqlConnectOptions, MySqlRow};
use sqlx::{ConnectOptions, Connection, Row};
use url::Url;

use super::convert::{LegacyTorrent, LegacyUser};

/// A `mysql://` URL, checked before any connection.
pub struct Source {
    url: Url,
}

impl Source {
    /// Errors never repeat the URL: it holds the password.
    pub fn parse(raw: &str) -> anyhow::Result<Source> {
        let url = Url::parse(raw).map_err(|e| {
            anyhow!("--mysql-url is not a URL ({e}); expected mysql://USER:PASSWORD@HOST/DATABASE")
        })?;
        if url.scheme() != "mysql" {
            bail!("--mysql-url must start with mysql:// (MySQL or MariaDB)");
        }
        if url.host_str().is_none_or(str::is_empty) || url.path().trim_matches('/').is_empty() {
            bail!("--mysql-url needs a host and a database: mysql://USER:PASSWORD@HOST/DATABASE");
        }
        Ok(Source { url })
    }

    /// The URL with its password replaced, for messages.
    pub fn redacted(&self) -> String {
        let mut u = self.url.clone();
        if u.password().is_some() {
            let _ = u.set_password(Some("***"));
        }
        u.to_string()
    }
}

/// Both tables, each in id order.
pub struct Rows {
    pub users: Vec<LegacyUser>,
    pub torrents: Vec<LegacyTorrent>,
}

/// Seconds since the epoch of a DATETIME, read as UTC (what the legacy
/// containers ran in) whatever the session's time zone.
macro_rules! unix {
    ($col:literal) => {
        concat!("TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ", $col, ")")
    };
}

const USERS_SQL: &str = concat!(
    "SELECT id, label, api_key, uploaded, downloaded, grabs, popularity, public_uploads, ",
    unix!("last_seen"),
    " AS last_seen FROM users ORDER BY id"
);

const TORRENTS_SQL: &str = concat!(
    "SELECT id, name, season, episode, imdbid, tmdbid, tvdbid, artist, album, category, ",
    "hash_v1, hash_v2, grabs, added_by_user_id, ",
    unix!("added_on"),
    " AS added_on, ",
    unix!("last_seen"),
    " AS last_seen FROM torrents ORDER BY id"
);

pub async fn read(source: &Source) -> anyhow::Result<Rows> {
    let at = source.redacted();
    let opts =
        MySqlConnectOptions::from_url(&source.url).map_err(|e| anyhow!("--mysql-url {at}: {e}"))?;
    let mut conn = opts
        .connect()
        .await
        .map_err(|e| anyhow!("cannot connect to the legacy database at {at}: {e}"))?;
    let schema_hint = |table: &str, e: sqlx::Error| {
        anyhow!(
            "cannot read the `{table}` table at {at} ({e}); is this the database of a \
             PrivateIndexer server 1.11?"
        )
    };
    let users = sqlx::query(USERS_SQL)
        .fetch_all(&mut conn)
        .await
        .map_err(|e| schema_hint("users", e))?
        .iter()
        .map(user)
        .collect::<Result<_, _>>()
        .map_err(|e| schema_hint("users", e))?;
    let torrents = sqlx::query(TORRENTS_SQL)
        .fetch_all(&mut conn)
        .await
        .map_err(|e| schema_hint("torrents", e))?
        .iter()
        .map(torrent)
        .collect::<Result<_, _>>()
        .map_err(|e| schema_hint("torrents", e))?;
    let _ = conn.close().await;
    Ok(Rows { users, torrents })
}

fn user(r: &MySqlRow) -> Result<LegacyUser, sqlx::Error> {
    Ok(LegacyUser {
        id: r.try_get::<i32, _>("id")?.into(),
        label: r.try_get("label")?,
        api_key: r.try_get("api_key")?,
        uploaded: r.try_get("uploaded")?,
        downloaded: r.try_get("downloaded")?,
        grabs: r.try_get::<u32, _>("grabs")?.into(),
        popularity: r.try_get::<u32, _>("popularity")?.into(),
        public_uploads: r.try_get::<i8, _>("public_uploads")? != 0,
        last_seen: r.try_get("last_seen")?,
    })
}

fn torrent(r: &MySqlRow) -> Result<LegacyTorrent, sqlx::Error> {
    Ok(LegacyTorrent {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        season: r.try_get::<Option<i16>, _>("season")?.map(i64::from),
        episode: r.try_get::<Option<i16>, _>("episode")?.map(i64::from),
        imdb_id: r.try_get::<Option<i32>, _>("imdbid")?.map(i64::from),
        tmdb_id: r.try_get::<Option<i32>, _>("tmdbid")?.map(i64::from),
        tvdb_id: r.try_get::<Option<i32>, _>("tvdbid")?.map(i64::from),
        artist: r.try_get("artist")?,
        album: r.try_get("album")?,
        category: r.try_get::<i32, _>("category")?.into(),
        hash_v1: r.try_get("hash_v1")?,
        hash_v2: r.try_get("hash_v2")?,
        grabs: r.try_get::<Option<i32>, _>("grabs")?.map(i64::from),
        uploader: r
            .try_get::<Option<i32>, _>("added_by_user_id")?
            .map(i64::from),
        added_on: r.try_get("added_on")?,
        last_seen: r.try_get("last_seen")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_shown_without_the_password() {
        let s = Source::parse("mysql://pi:s3cret@db:3306/privateindexer").unwrap();
        assert_eq!(s.redacted(), "mysql://pi:***@db:3306/privateindexer");
        for bad in [
            "postgres://pi:s3cret@db/x",
            "mysql://pi:s3cret@db/",
            "not a url s3cret",
        ] {
            let e = Source::parse(bad).err().expect(bad).to_string();
            assert!(!e.contains("s3cret"), "{e}");
        }
    }
}
