//! The client's own state in one redb file in its data dir: what it shared
//! (records and .torrent bytes) and a persistent outbox of uploads and
//! withdrawals, so nothing is lost when the server is down or the client restarts.

use std::path::Path;

use anyhow::Context;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::store::TorrentMeta;

use super::arr::App;

pub const DB_FILE: &str = "client.redb";

/// Plan key (local path shared) → [`Record`] JSON.
const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
/// Info-hash (hex) → .torrent bytes.
const TORRENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("torrents");
/// Sequence number → [`Job`] JSON, processed in order.
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// Info-hash (hex) → cumulative bytes the seeder uploaded (survives restarts).
const UPLOADED: TableDefinition<&str, u64> = TableDefinition::new("seed_uploaded");

/// Size and mtime of a file as it was when its torrent was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting in the outbox.
    Queued,
    /// On the server as this member's upload.
    Uploaded,
    /// Another member already shared the identical torrent (409).
    Duplicate,
    /// The server refused it; the reason it gave.
    Rejected(String),
}

/// One torrent this client made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub app: App,
    pub info_hash: String,
    pub title: String,
    pub meta: TorrentMeta,
    pub multi: bool,
    /// Every file in the torrent, for the fast "unchanged" check.
    pub files: Vec<FileStamp>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// Upload (or re-send the metadata of) the torrent recorded under `key`.
    Upload { key: String, info_hash: String },
    /// Withdraw a torrent from the server.
    Withdraw { info_hash: String },
}

impl Job {
    pub fn info_hash(&self) -> &str {
        match self {
            Job::Upload { info_hash, .. } | Job::Withdraw { info_hash } => info_hash,
        }
    }
}

/// Changes written in one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    pub put: Vec<(String, Record, Option<Vec<u8>>)>,
    pub remove: Vec<String>,
    pub drop_torrents: Vec<String>,
    pub jobs: Vec<Job>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty()
            && self.remove.is_empty()
            && self.drop_torrents.is_empty()
            && self.jobs.is_empty()
    }
}

pub struct ClientDb {
    db: Database,
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> anyhow::Result<T> {
    serde_json::from_slice(bytes).with_context(|| format!("client database: corrupt {what}"))
}

impl ClientDb {
    pub fn open_in(dir: &Path) -> anyhow::Result<ClientDb> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("CLIENT_DATA_DIR: cannot create {}", dir.display()))?;
        let path = dir.join(DB_FILE);
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => {
                anyhow::anyhow!("{} is in use by another client process", path.display())
            }
            e => anyhow::anyhow!("cannot open {}: {e}", path.display()),
        })?;
        let tx = db.begin_write()?;
        tx.open_table(RECORDS)?;
        tx.open_table(TORRENTS)?;
        tx.open_table(OUTBOX)?;
        tx.open_table(UPLOADED)?;
        tx.commit()?;
        Ok(ClientDb { db })
    }

    /// The database itself, for the tables of other parts of the client (downloads).
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    pub fn records(&self) -> anyhow::Result<Vec<(String, Record)>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(RECORDS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_string(), decode(v.value(), "record")?));
        }
        Ok(out)
    }

    pub fn record(&self, key: &str) -> anyhow::Result<Option<Record>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(RECORDS)?;
        t.get(key)?.map(|v| decode(v.value(), "record")).transpose()
    }

    pub fn torrent(&self, info_hash: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(TORRENTS)?;
        Ok(t.get(info_hash)?.map(|v| v.value().to_vec()))
    }

    pub fn apply(&self, batch: Batch) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write()?;
        {
            let mut records = tx.open_table(RECORDS)?;
            let mut torrents = tx.open_table(TORRENTS)?;
            let mut outbox = tx.open_table(OUTBOX)?;
            for ih in &batch.drop_torrents {
                torrents.remove(ih.as_str())?;
            }
            for key in &batch.remove {
                records.remove(key.as_str())?;
            }
            for (key, rec, bytes) in &batch.put {
                records.insert(key.as_str(), serde_json::to_vec(rec)?.as_slice())?;
                if let Some(b) = bytes {
                    torrents.insert(rec.info_hash.as_str(), b.as_slice())?;
                }
            }
            let first = outbox.last()?.map_or(0, |(k, _)| k.value() + 1);
            for (seq, job) in (first..).zip(&batch.jobs) {
                outbox.insert(seq, serde_json::to_vec(job)?.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every torrent's cumulative upload total.
    pub fn uploaded_totals(&self) -> anyhow::Result<std::collections::HashMap<String, u64>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(UPLOADED)?;
        let mut out = std::collections::HashMap::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.insert(k.value().to_string(), v.value());
        }
        Ok(out)
    }

    /// Records upload totals, in one transaction.
    pub fn save_uploaded(&self, totals: &[(String, u64)]) -> anyhow::Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(UPLOADED)?;
            for (ih, n) in totals {
                t.insert(ih.as_str(), *n)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The oldest `limit` jobs in the outbox, oldest first.
    pub fn next_jobs(&self, limit: usize) -> anyhow::Result<Vec<(u64, Job)>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(OUTBOX)?;
        let mut out = Vec::with_capacity(limit);
        for row in t.iter()?.take(limit) {
            let (k, v) = row?;
            out.push((k.value(), decode(v.value(), "outbox job")?));
        }
        Ok(out)
    }

    pub fn pending_jobs(&self) -> anyhow::Result<u64> {
        use redb::ReadableTableMetadata;
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(OUTBOX)?.len()?)
    }

    /// Removes a finished job and, for an upload, records the outcome.
    pub fn finish_job(
        &self,
        seq: u64,
        outcome: Option<(&str, &str, Status)>,
    ) -> anyhow::Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut outbox = tx.open_table(OUTBOX)?;
            outbox.remove(seq)?;
            if let Some((key, info_hash, status)) = outcome {
                let mut records = tx.open_table(RECORDS)?;
                let current: Option<Record> = records
                    .get(key)?
                    .map(|v| decode(v.value(), "record"))
                    .transpose()?;
                // The record may have moved on (a newer file) while the job ran.
                if let Some(mut rec) = current.filter(|r| r.info_hash == info_hash) {
                    rec.status = status;
                    records.insert(key, serde_json::to_vec(&rec)?.as_slice())?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}
