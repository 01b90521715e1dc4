//! `privateindexer admin migrate --from STORE --to STORE`: copies every record
//! (members with their key hashes and counters, torrents with their `.torrent`
//! bytes, grabs, snatches, seeded times, settings with the server secret)
//! between a redb store and a MySQL one, and checks the target holds exactly
//! what the source did: counts and a SHA-256 of every record.

use std::path::Path;

use anyhow::{bail, Context};

use crate::store::{transfer, StoreConfig};

pub fn run(from: &str, to: &str, force: bool, data_dir: &Path) -> anyhow::Result<()> {
    let parse = |raw: &str, flag: &str| {
        StoreConfig::parse(raw, data_dir).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
    };
    let (from_cfg, to_cfg) = (parse(from, "--from")?, parse(to, "--to")?);
    if from_cfg.to_string() == to_cfg.to_string() {
        bail!("--from and --to are the same store ({from_cfg})");
    }
    let source = crate::store::open(&from_cfg)
        .with_context(|| format!("--from {from_cfg} (stop the server using it first)"))?;
    let target = crate::store::open(&to_cfg).with_context(|| format!("--to {to_cfg}"))?;
    if !transfer::is_empty(&*target)? {
        if !force {
            bail!(
                "--to {to_cfg} already holds members, torrents or settings: \
                 pass --force to replace everything in it"
            );
        }
        target.clear().context("--force: emptying the target")?;
        eprintln!("--force: everything in {to_cfg} was removed");
    }
    let copied = transfer::copy(&*source, &*target).context("copying")?;
    let found = transfer::summarize(&*target).context("reading the copy back")?;
    if found != copied {
        bail!(
            "the copy in {to_cfg} differs from {from_cfg} (source {copied:?}, copy {found:?}); \
             run again with --force"
        );
    }
    println!(
        "copied {} members, {} torrents, {} seeded times and {} settings from {from_cfg} to {to_cfg}; \
         verified: same counts, contents sha256 {}",
        copied.users, copied.torrents, copied.seeded, copied.settings, copied.sha256
    );
    Ok(())
}
