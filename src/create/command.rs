//! `privateindexer create PATH…`: one `.torrent` per path.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::progress::Bar;
use super::{create_torrent, piece_size, CreateOptions, HashCache};

#[derive(clap::Args, Debug, Clone)]
pub struct CreateArgs {
    /// Files (single-file torrents) or folders (multi-file torrents), one torrent each.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output file, or an existing folder for `NAME.torrent` files; default `NAME.torrent` here.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Piece size (e.g. 1M, 256K, 262144); a power of two from 16 KiB to 64 MiB. Default: from the total size.
    #[arg(long, env = "PIECE_SIZE", value_parser = piece_size::parse)]
    pub piece_size: Option<u64>,
    /// `source` tag naming the swarm (part of the info-hash); empty to leave it out.
    #[arg(
        long = "torrent-source",
        alias = "source",
        env = "TORRENT_SOURCE",
        value_name = "TORRENT_SOURCE",
        default_value = "PrivateIndexer"
    )]
    pub source: String,
    /// Torrent name (one PATH only); default the file or folder name.
    #[arg(long)]
    pub name: Option<String>,
    /// Announce URL written into the file (outside the info-hash).
    #[arg(
        long = "torrent-announce",
        alias = "announce",
        env = "TORRENT_ANNOUNCE",
        value_name = "TORRENT_ANNOUNCE"
    )]
    pub announce: Option<String>,
    /// Overwrite an existing output file.
    #[arg(short, long)]
    pub force: bool,
    /// Folder holding the hash cache (`hash-cache.redb`); default ~/.cache/privateindexer.
    #[arg(long, env = "DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Hash everything, neither reading nor writing the hash cache.
    #[arg(long = "no-hash-cache", alias = "no-cache", env = "NO_HASH_CACHE")]
    pub no_cache: bool,
    /// Hashing threads; default every core.
    #[arg(
        long = "hash-threads",
        alias = "threads",
        env = "HASH_THREADS",
        value_name = "HASH_THREADS"
    )]
    pub threads: Option<NonZeroUsize>,
}

/// Where the cache lives when `--data-dir` is not given.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| Path::new(&h).join(".cache"))
        })?;
    Some(base.join("privateindexer"))
}

pub fn run(args: CreateArgs) -> anyhow::Result<()> {
    let several = args.paths.len() > 1;
    if several && args.name.is_some() {
        bail!("--name needs exactly one PATH");
    }
    // An existing folder as --output takes `NAME.torrent` files.
    let out_dir = args.output.clone().filter(|o| o.is_dir());
    if several && args.output.is_some() && out_dir.is_none() {
        bail!("--output must be an existing folder when several PATHs are given");
    }
    let cache = if args.no_cache {
        None
    } else {
        args.data_dir
            .clone()
            .or_else(default_cache_dir)
            .and_then(|dir| {
                HashCache::open_in(&dir)
                    .inspect_err(|e| eprintln!("warning: {e}; hashing without the cache"))
                    .ok()
            })
    };

    for path in &args.paths {
        let opts = CreateOptions {
            path: path.clone(),
            name: args.name.clone(),
            piece_size: args.piece_size,
            source: Some(args.source.clone()),
            announce: args.announce.clone(),
            threads: args.threads,
        };
        // The output name is only known for sure after listing; check the
        // likely one first so a clash fails before any hashing.
        let guess = args
            .name
            .clone()
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
        let planned = output_path(
            &args,
            out_dir.as_deref(),
            guess.as_deref().unwrap_or("torrent"),
        );
        check_output(&planned, args.force)?;
        let bar = Bar::new(&guess.unwrap_or_default());
        let made = create_torrent(&opts, cache.as_ref(), &|e| bar.update(e));
        bar.finish();
        // Every CreateError names the path it is about.
        let made = made?;
        let out = output_path(&args, out_dir.as_deref(), &made.name);
        write_new(&out, &made.bytes, args.force)?;
        println!(
            "{}  {}  ({} files, {} bytes, {} pieces of {} KiB, {} bytes hashed)",
            hex::encode(made.info_hash),
            out.display(),
            made.file_count,
            made.total_size,
            made.piece_count,
            made.piece_size / 1024,
            made.bytes_hashed
        );
    }
    Ok(())
}

fn output_path(args: &CreateArgs, out_dir: Option<&Path>, name: &str) -> PathBuf {
    match (&args.output, out_dir) {
        (_, Some(dir)) => dir.join(format!("{name}.torrent")),
        (Some(file), None) => file.clone(),
        (None, None) => PathBuf::from(format!("{name}.torrent")),
    }
}

/// Refuses to replace an existing output without `--force`, and ever to
/// replace anything but a regular file (`-o /dev/null` must not swap a device for a file).
fn check_output(out: &Path, force: bool) -> anyhow::Result<()> {
    match fs::metadata(out) {
        Ok(m) if !m.is_file() => bail!("{} exists and is not a regular file", out.display()),
        Ok(_) if !force => bail!(
            "{} already exists (use --force to overwrite)",
            out.display()
        ),
        Ok(_) => Ok(()),
        Err(_) if !output_dir(out).is_dir() => {
            bail!("cannot write {}: no such folder", out.display())
        }
        Err(_) => Ok(()),
    }
}

fn output_dir(out: &Path) -> &Path {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes to a temporary file next to `out`, then moves it into place, so a
/// failure never leaves a partial `.torrent` behind.
fn write_new(out: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    check_output(out, force)?;
    let dir = output_dir(out);
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = fs::write(&tmp, bytes)
        .with_context(|| format!("cannot write {}", out.display()))
        .and_then(|()| {
            if force {
                fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))
            } else {
                // A hard link fails if `out` appeared meanwhile: never clobber without --force.
                match fs::hard_link(&tmp, out) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists && !out.exists() => {
                        // Filesystems without hard links: a plain move.
                        fs::rename(&tmp, out)
                    }
                    other => other,
                }
                .with_context(|| format!("cannot write {}", out.display()))
            }
        });
    // After a rename the temporary name is gone already; otherwise drop it.
    let _ = fs::remove_file(&tmp);
    result
}
