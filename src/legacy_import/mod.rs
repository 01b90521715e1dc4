//! `privateindexer admin import-legacy`: brings a Python PrivateIndexer group
//! over (its server 1.11 MySQL `users` and `torrents` tables and the
//! `torrents/<v2 hash>.torrent` files). Members keep their label, counters and
//! API key (stored hashed from now on); torrents keep their metadata, uploader,
//! grabs and dates. Each row is checked as an upload would be and goes in whole
//! or not at all; a row that fails is reported with why and skipped.
//!
//! Reading MySQL needs sqlx, so the import is built only with `--features mysql`.

use std::path::{Path, PathBuf};

use clap::Args;

#[cfg(feature = "mysql")]
mod convert;
#[cfg(feature = "mysql")]
mod report;
#[cfg(feature = "mysql")]
mod run;
#[cfg(feature = "mysql")]
mod source;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The legacy database, `mysql://USER:PASSWORD@HOST:PORT/DATABASE` (the password is never
    /// printed).
    #[arg(long, env = "LEGACY_MYSQL_URL", hide_env_values = true)]
    pub mysql_url: String,

    /// The legacy server's torrents folder (`DATA_DIR/torrents`, files named `<v2 hash>.torrent`).
    #[arg(long)]
    pub torrents_dir: PathBuf,

    /// Check every row and print what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the import into the store in `data_dir` (the server stopped).
#[cfg(feature = "mysql")]
pub fn run(args: &ImportArgs, data_dir: &Path) -> anyhow::Result<()> {
    run::run(args, data_dir)
}

/// This build cannot read MySQL.
#[cfg(not(feature = "mysql"))]
pub fn run(_args: &ImportArgs, _data_dir: &Path) -> anyhow::Result<()> {
    anyhow::bail!(
        "import-legacy reads MySQL: it needs a build with `--features mysql` \
         (cargo install --path . --features mysql)"
    )
}
