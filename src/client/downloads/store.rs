//! What the download side keeps in the client's redb file: the torrents the
//! *arr apps added (with their qBittorrent settings and counters), their
//! .torrent bytes, categories, tags and the API's settings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::client::queue::{decode, ClientDb};

/// Info-hash (hex) → [`Download`] JSON.
const DOWNLOADS: TableDefinition<&str, &[u8]> = TableDefinition::new("downloads");
/// Info-hash (hex) → the .torrent as the server wrote it for this member.
const DOWNLOAD_TORRENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("download_torrents");
/// Category name → [`Category`] JSON.
const CATEGORIES: TableDefinition<&str, &[u8]> = TableDefinition::new("categories");
/// Tag name → nothing.
const TAGS: TableDefinition<&str, ()> = TableDefinition::new("tags");
/// Setting name → value (the API password hash, preferences JSON).
const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("qbt_settings");

/// "Use the global share limit" in qBittorrent's per-torrent fields.
pub const USE_GLOBAL: f64 = -2.0;
/// "No limit".
pub const NO_LIMIT: f64 = -1.0;

/// One torrent an *arr app added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Download {
    pub info_hash: String,
    pub name: String,
    pub size: u64,
    /// More than one file: the content is the folder `save_path/name`.
    pub multi: bool,
    pub category: String,
    pub tags: BTreeSet<String>,
    /// Local folder the torrent's file or folder lies in.
    pub save_path: PathBuf,
    /// The announce URL (this member's passkey URL).
    pub tracker: String,
    /// Ratio limit; [`USE_GLOBAL`] or [`NO_LIMIT`].
    pub ratio_limit: f64,
    /// Minutes; -2 global, -1 none.
    pub seeding_time_limit: i64,
    pub added_on: i64,
    /// Unix time the download finished, 0 while it has not.
    pub completion_on: i64,
    /// Totals over every run of the client.
    pub uploaded: u64,
    pub downloaded: u64,
    /// Seconds spent seeding, over every run.
    pub seeding_secs: u64,
    /// Stopped by the user (`torrents/stop`) or by a share limit.
    pub stopped: bool,
    /// A share limit was reached (then `stopped` too).
    pub limit_reached: bool,
    /// `event=completed` was sent for it.
    pub completed_announced: bool,
    /// The library seeder serves it now; the engine no longer holds it.
    pub handed_off: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// `savePath` as given (may be empty: the default `DOWNLOADS_DIR/<name>`).
    pub save_path: String,
}

/// Global preferences the API lets the apps read and set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prefs {
    pub max_ratio_enabled: bool,
    pub max_ratio: f64,
    pub max_seeding_time_enabled: bool,
    /// Minutes.
    pub max_seeding_time: i64,
}

impl Default for Prefs {
    fn default() -> Prefs {
        Prefs {
            max_ratio_enabled: false,
            max_ratio: 1.0,
            max_seeding_time_enabled: false,
            max_seeding_time: 1440,
        }
    }
}

pub const PASSWORD_SETTING: &str = "api_password_argon2";
const PREFS_SETTING: &str = "preferences";

#[derive(Clone)]
pub struct DownloadStore {
    db: Arc<ClientDb>,
}

impl DownloadStore {
    pub fn open(db: Arc<ClientDb>) -> anyhow::Result<DownloadStore> {
        let tx = db.database().begin_write()?;
        tx.open_table(DOWNLOADS)?;
        tx.open_table(DOWNLOAD_TORRENTS)?;
        tx.open_table(CATEGORIES)?;
        tx.open_table(TAGS)?;
        tx.open_table(SETTINGS)?;
        tx.commit()?;
        Ok(DownloadStore { db })
    }

    pub fn downloads(&self) -> anyhow::Result<Vec<Download>> {
        let tx = self.db.database().begin_read()?;
        let t = tx.open_table(DOWNLOADS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            out.push(decode(row?.1.value(), "download")?);
        }
        Ok(out)
    }

    pub fn torrent(&self, info_hash: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let tx = self.db.database().begin_read()?;
        let t = tx.open_table(DOWNLOAD_TORRENTS)?;
        Ok(t.get(info_hash)?.map(|v| v.value().to_vec()))
    }

    /// Writes records (and, for a new one, its .torrent) in one transaction.
    pub fn put(&self, records: &[&Download], torrent: Option<&[u8]>) -> anyhow::Result<()> {
        let tx = self.db.database().begin_write()?;
        {
            let mut t = tx.open_table(DOWNLOADS)?;
            for d in records {
                t.insert(d.info_hash.as_str(), serde_json::to_vec(d)?.as_slice())?;
            }
            if let (Some(bytes), [d]) = (torrent, records) {
                tx.open_table(DOWNLOAD_TORRENTS)?
                    .insert(d.info_hash.as_str(), bytes)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn remove(&self, info_hash: &str) -> anyhow::Result<()> {
        let tx = self.db.database().begin_write()?;
        tx.open_table(DOWNLOADS)?.remove(info_hash)?;
        tx.open_table(DOWNLOAD_TORRENTS)?.remove(info_hash)?;
        tx.commit()?;
        Ok(())
    }

    pub fn categories(&self) -> anyhow::Result<BTreeMap<String, Category>> {
        let tx = self.db.database().begin_read()?;
        let t = tx.open_table(CATEGORIES)?;
        let mut out = BTreeMap::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.insert(k.value().to_string(), decode(v.value(), "category")?);
        }
        Ok(out)
    }

    pub fn put_category(&self, name: &str, c: &Category) -> anyhow::Result<()> {
        let tx = self.db.database().begin_write()?;
        tx.open_table(CATEGORIES)?
            .insert(name, serde_json::to_vec(c)?.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    pub fn remove_categories(&self, names: &[String]) -> anyhow::Result<()> {
        let tx = self.db.database().begin_write()?;
        {
            let mut t = tx.open_table(CATEGORIES)?;
            for n in names {
                t.remove(n.as_str())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn tags(&self) -> anyhow::Result<BTreeSet<String>> {
        let tx = self.db.database().begin_read()?;
        let t = tx.open_table(TAGS)?;
        let mut out = BTreeSet::new();
        for row in t.iter()? {
            out.insert(row?.0.value().to_string());
        }
        Ok(out)
    }

    /// Adds (`add`) or removes tags from the global list.
    pub fn edit_tags(&self, names: &[String], add: bool) -> anyhow::Result<()> {
        let tx = self.db.database().begin_write()?;
        {
            let mut t = tx.open_table(TAGS)?;
            for n in names {
                if add {
                    t.insert(n.as_str(), ())?;
                } else {
                    t.remove(n.as_str())?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn setting(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let tx = self.db.database().begin_read()?;
        let t = tx.open_table(SETTINGS)?;
        Ok(t.get(name)?.map(|v| v.value().to_vec()))
    }

    pub fn set_setting(&self, name: &str, value: &[u8]) -> anyhow::Result<()> {
        let tx = self.db.database().begin_write()?;
        tx.open_table(SETTINGS)?.insert(name, value)?;
        tx.commit()?;
        Ok(())
    }

    pub fn prefs(&self) -> anyhow::Result<Prefs> {
        self.setting(PREFS_SETTING)?
            .map(|b| decode(&b, "preferences"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    pub fn set_prefs(&self, p: &Prefs) -> anyhow::Result<()> {
        self.set_setting(PREFS_SETTING, &serde_json::to_vec(p)?)
    }
}
