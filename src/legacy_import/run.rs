//! The import itself: every member, then every torrent, each checked and
//! stored in one store call, or reported and skipped. Run again, it recognises
//! what an earlier run brought over, so a stopped import can be resumed.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};

use super::convert::{self, Imported, LegacyTorrent, LegacyUser, Skip};
use super::report::{Outcome, Report, Row};
use super::source::{self, Source};
use super::ImportArgs;
use crate::keys::{self, Secret};
use crate::metainfo::{hex_hash, MAX_TORRENT_BYTES};
use crate::store::{KeyHash, PutOutcome, Store, StoreConfig, STORE_FILE};

pub fn run(args: &ImportArgs, data_dir: &Path) -> anyhow::Result<()> {
    let source = Source::parse(&args.mysql_url)?;
    if !args.torrents_dir.is_dir() {
        bail!(
            "--torrents-dir {} is not a folder (the legacy server's DATA_DIR/torrents)",
            args.torrents_dir.display()
        );
    }
    let rows = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(source::read(&source))?;
    // A dry run makes no store where there is none.
    let store = if args.dry_run && !data_dir.join(STORE_FILE).exists() {
        None
    } else {
        Some(
            crate::store::open(&StoreConfig::Redb {
                data_dir: data_dir.to_path_buf(),
            })
            .context("--data-dir")?,
        )
    };
    let secret = match &store {
        Some(s) if !args.dry_run => keys::server_secret(&**s)?,
        // Passkeys are not stored in a dry run: a throwaway secret stands in.
        _ => rand::random(),
    };
    let mut import = Import::new(store, args.dry_run, secret)?;
    import
        .report
        .start(&source.redacted(), rows.users.len(), rows.torrents.len());
    for row in &rows.users {
        import.member(row)?;
    }
    for row in &rows.torrents {
        import.torrent(row, &args.torrents_dir)?;
    }
    import.report.finish();
    Ok(())
}

/// Where a legacy member's uploads go here.
#[derive(Clone, Copy)]
struct Uploader {
    /// 0 for a member a dry run would create.
    id: u64,
    anonymous: bool,
}

struct Import {
    store: Option<Arc<dyn Store>>,
    dry_run: bool,
    secret: Secret,
    now: i64,
    report: Report,
    uploaders: HashMap<i64, Uploader>,
    /// Labels (lower-case) and keys taken here, and torrents planned, as the run goes.
    labels: HashSet<String>,
    keys: HashSet<KeyHash>,
    planned: HashSet<[u8; 20]>,
}

impl Import {
    fn new(store: Option<Arc<dyn Store>>, dry_run: bool, secret: Secret) -> anyhow::Result<Self> {
        let labels = match &store {
            Some(s) => s.users()?.iter().map(|u| u.label.to_lowercase()).collect(),
            None => HashSet::new(),
        };
        Ok(Import {
            store,
            dry_run,
            secret,
            now: crate::core::clock::now(),
            report: Report::new(dry_run),
            uploaders: HashMap::new(),
            labels,
            keys: HashSet::new(),
            planned: HashSet::new(),
        })
    }

    fn member(&mut self, row: &LegacyUser) -> anyhow::Result<()> {
        let user = match convert::member(row, &self.secret, self.now) {
            Ok(u) => u,
            Err(why) => {
                self.report.row(Row::Member(row), Outcome::Skipped(&why));
                return Ok(());
            }
        };
        let uploader = |id| Uploader {
            id,
            anonymous: !row.public_uploads,
        };
        if let Some(here) = match &self.store {
            Some(s) => s.user_by_api_key(&user.api_key_hash)?,
            None => None,
        } {
            self.uploaders.insert(row.id, uploader(here.id));
            let outcome = Outcome::Present(format!("member {}", here.id));
            self.report.row(Row::Member(row), outcome);
            return Ok(());
        }
        let clash = if !self.keys.insert(user.api_key_hash) {
            Some("has the API key of a member before it".to_string())
        } else if !self.labels.insert(user.label.to_lowercase()) {
            Some(format!(
                "a member labelled {:?} is already here",
                user.label
            ))
        } else {
            None
        };
        if let Some(why) = clash {
            self.report
                .row(Row::Member(row), Outcome::Skipped(&Skip(why)));
            return Ok(());
        }
        let id = match (&self.store, self.dry_run) {
            (Some(s), false) => s.import_user(&user)?.id,
            _ => 0,
        };
        self.uploaders.insert(row.id, uploader(id));
        let here = if self.dry_run {
            "a new member".to_string()
        } else {
            format!("member {id}")
        };
        self.report.row(Row::Member(row), Outcome::Imported(here));
        Ok(())
    }

    fn torrent(&mut self, row: &LegacyTorrent, dir: &Path) -> anyhow::Result<()> {
        let outcome = match self.prepare(row, dir) {
            Ok(t) => self.store_torrent(t)?,
            Err(why) => Err(why),
        };
        match outcome {
            Ok(outcome) => self.report.row(Row::Torrent(row), outcome),
            Err(why) => self.report.row(Row::Torrent(row), Outcome::Skipped(&why)),
        }
        Ok(())
    }

    /// The row and its file, checked; nothing is written.
    fn prepare(&self, row: &LegacyTorrent, dir: &Path) -> Result<Imported, Skip> {
        let Some(legacy_uploader) = row.uploader else {
            return Err(Skip("has no uploader (their member was deleted)".into()));
        };
        let Some(uploader) = self.uploaders.get(&legacy_uploader) else {
            return Err(Skip(format!(
                "its uploader, member {legacy_uploader}, was not imported"
            )));
        };
        let path = dir.join(convert::torrent_file_name(row)?);
        let bytes = read_capped(&path)?;
        convert::torrent(row, &bytes, uploader.id, uploader.anonymous)
    }

    /// Stores one checked torrent (all of it or nothing); a store failure stops the run.
    fn store_torrent(&mut self, t: Imported) -> anyhow::Result<Result<Outcome<'static>, Skip>> {
        let ih = t.record.info_hash;
        let here = format!("info-hash {}", hex_hash(&ih));
        if let Some(s) = &self.store {
            if let Some(old) = s.torrent(&ih)? {
                return Ok(if old.uploader == t.record.uploader {
                    Ok(Outcome::Present(here))
                } else {
                    Err(Skip(format!(
                        "member {} shares it here already",
                        old.uploader
                    )))
                });
            }
        }
        if !self.planned.insert(ih) {
            return Ok(Err(Skip("the same torrent as a row before it".into())));
        }
        let Some(store) = self.store.as_ref().filter(|_| !self.dry_run) else {
            return Ok(Ok(Outcome::Imported(here)));
        };
        match store.put_torrent(&t.record, &t.stored)? {
            PutOutcome::Created => {}
            PutOutcome::Updated => return Ok(Ok(Outcome::Present(here))),
            PutOutcome::Conflict => {
                return Ok(Err(Skip(
                    "its v2 info-hash is another torrent's here".into(),
                )))
            }
        }
        if let Some(seen) = t.last_seen {
            // The torrent without its last-seeded time would be half of the row: undone.
            if let Err(e) = store.record_seeded(&[(ih, seen)]) {
                store.delete_torrent(&ih)?;
                return Err(e.into());
            }
        }
        Ok(Ok(Outcome::Imported(here)))
    }
}

/// A `.torrent` file, at most the size an upload may be.
fn read_capped(path: &Path) -> Result<Vec<u8>, Skip> {
    let unreadable = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => Skip(format!("no torrent file {}", path.display())),
        _ => Skip(format!("cannot read {}: {e}", path.display())),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_TORRENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > MAX_TORRENT_BYTES {
        return Err(Skip(format!(
            "{} is larger than {MAX_TORRENT_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}
