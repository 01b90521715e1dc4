//! `privateindexer admin …`: operator tasks. With `--data-dir` they work on the
//! store directly (server stopped); otherwise through the running server's admin
//! API at `--server`, authenticated with ADMIN_PASSWORD.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use url::Url;

use crate::members::{self, IssuedKeys, MemberView};
use crate::store::{RedbStore, Store, StoreConfig};

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The running server's base URL (admin API).
    #[arg(
        long,
        env = "ADMIN_SERVER_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub server: Url,

    /// Work on the store in this folder directly instead (the server must be stopped).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,

    /// Admin password for the server's admin API.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Tracker base URL for announce URLs printed in offline mode.
    #[arg(
        long,
        env = "EXTERNAL_TRACKER_URL",
        default_value = "http://localhost:8081"
    )]
    pub external_tracker_url: Url,

    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub task: AdminTask,
}

#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Set the admin password (read from ADMIN_PASSWORD, else the first line of stdin); needs --data-dir.
    SetPassword,
    /// Add a member and print their API key and passkey (shown only this once).
    AddUser {
        label: String,
    },
    /// List members with their counters.
    ListUsers,
    /// Stop a member's keys from working (their torrents stay).
    Disable {
        id: u64,
    },
    Enable {
        id: u64,
    },
    /// Issue new keys; the old ones stop working at once.
    Rotate {
        id: u64,
    },
    /// Remove a member (their torrents stay, shown as from a deleted member).
    Delete {
        id: u64,
    },
    /// Write a consistent copy of the store to FILE (works while the server runs).
    Backup {
        file: PathBuf,
    },
    /// Replace the store in --data-dir with a backup FILE (server stopped).
    Restore {
        file: PathBuf,
    },
}

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    match &args.data_dir {
        Some(dir) => offline(&args, dir),
        None => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(online(&args))
        }
    }
}

fn offline(args: &AdminArgs, dir: &Path) -> anyhow::Result<()> {
    if let AdminTask::Restore { file } = &args.task {
        return restore(file, dir);
    }
    let store = crate::store::open(&StoreConfig::Redb {
        data_dir: dir.to_path_buf(),
    })
    .context("--data-dir")?;
    let store = &*store;
    let secret = crate::keys::server_secret(store)?;
    let tracker = args
        .external_tracker_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let now = crate::core::clock::now();
    match &args.task {
        AdminTask::SetPassword => {
            let password = new_password(args)?;
            crate::admin_password::set(store, &password)?;
            println!("admin password set");
        }
        AdminTask::AddUser { label } => print_keys(
            args,
            &members::create(store, &secret, &tracker, label, now)?,
        ),
        AdminTask::ListUsers => print_members(args, &members::list(store)?),
        AdminTask::Disable { id } => found(store.set_user_enabled(*id, false)?, *id, "disabled")?,
        AdminTask::Enable { id } => found(store.set_user_enabled(*id, true)?, *id, "enabled")?,
        AdminTask::Rotate { id } => match members::rotate(store, &secret, &tracker, *id)? {
            Some(k) => print_keys(args, &k),
            None => bail!("no member with id {id}"),
        },
        AdminTask::Delete { id } => found(store.delete_user(*id)?, *id, "deleted")?,
        AdminTask::Backup { file } => {
            store.backup_to(file)?;
            println!("backup written to {}", file.display());
        }
        AdminTask::Restore { .. } => unreachable!("handled above"),
    }
    Ok(())
}

fn found(ok: bool, id: u64, what: &str) -> anyhow::Result<()> {
    if !ok {
        bail!("no member with id {id}");
    }
    println!("member {id} {what}");
    Ok(())
}

fn new_password(args: &AdminArgs) -> anyhow::Result<String> {
    if let Some(p) = &args.admin_password {
        return Ok(p.clone());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Checks the backup opens as a store, then swaps it in (keeping the old file aside).
fn restore(file: &Path, dir: &Path) -> anyhow::Result<()> {
    let probe = RedbStore::open_file(file)
        .with_context(|| format!("{} is not a readable store", file.display()))?;
    probe.torrent_count()?;
    drop(probe);
    std::fs::create_dir_all(dir)?;
    let target = dir.join(crate::store::STORE_FILE);
    // Opening the live store first fails if a server holds it.
    drop(RedbStore::open_file(&target).context("--data-dir (stop the server before restoring)")?);
    let aside = dir.join(format!("{}.before-restore", crate::store::STORE_FILE));
    std::fs::rename(&target, &aside)?;
    std::fs::copy(file, &target).with_context(|| format!("copying {}", file.display()))?;
    println!(
        "store restored from {}; the previous store is kept as {}",
        file.display(),
        aside.display()
    );
    Ok(())
}

async fn online(args: &AdminArgs) -> anyhow::Result<()> {
    let password = args
        .admin_password
        .clone()
        .filter(|p| !p.is_empty())
        .context("ADMIN_PASSWORD: needed to reach the server's admin API (or pass --data-dir to work offline)")?;
    let client = reqwest::Client::new();
    let base = args.server.as_str().trim_end_matches('/').to_string();
    let call = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}/admin/api{path}"))
            .basic_auth("admin", Some(&password))
    };
    use reqwest::Method;
    match &args.task {
        AdminTask::SetPassword => bail!("set-password works on the store: stop the server and pass --data-dir, or change ADMIN_PASSWORD and restart"),
        AdminTask::Restore { .. } => bail!("restore needs --data-dir (and the server stopped)"),
        AdminTask::AddUser { label } => {
            let resp = send(call(Method::POST, "/users").json(&serde_json::json!({ "label": label }))).await?;
            print_keys(args, &resp.json::<IssuedKeys>().await?);
        }
        AdminTask::ListUsers => print_members(args, &send(call(Method::GET, "/users")).await?.json::<Vec<MemberView>>().await?),
        AdminTask::Rotate { id } => print_keys(args, &send(call(Method::POST, &format!("/users/{id}/rotate"))).await?.json().await?),
        AdminTask::Disable { id } => {
            send(call(Method::POST, &format!("/users/{id}/disable"))).await?;
            println!("member {id} disabled");
        }
        AdminTask::Enable { id } => {
            send(call(Method::POST, &format!("/users/{id}/enable"))).await?;
            println!("member {id} enabled");
        }
        AdminTask::Delete { id } => {
            send(call(Method::DELETE, &format!("/users/{id}"))).await?;
            println!("member {id} deleted");
        }
        AdminTask::Backup { file } => backup_online(call(Method::GET, "/backup"), file).await?,
    }
    Ok(())
}

/// Sends a request and turns an error answer into its `error` message.
async fn send(req: reqwest::RequestBuilder) -> anyhow::Result<reqwest::Response> {
    let resp = req
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach the server: {}", e.without_url()))?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let msg = resp
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
        .unwrap_or_default();
    bail!("server answered {status}: {msg}")
}

async fn backup_online(req: reqwest::RequestBuilder, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!("{} already exists", file.display());
    }
    let mut resp = send(req).await?;
    let tmp = file.with_extension("partial");
    let mut out =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let result: anyhow::Result<()> = async {
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| anyhow::anyhow!("backup download failed: {}", e.without_url()))?
        {
            out.write_all(&chunk)?;
        }
        out.sync_all()?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, file)?;
    println!("backup written to {}", file.display());
    Ok(())
}

fn print_keys(args: &AdminArgs, k: &IssuedKeys) {
    if args.json {
        println!("{}", serde_json::to_string_pretty(k).unwrap_or_default());
        return;
    }
    println!(
        "member {} ({}); these keys are shown only now:",
        k.id, k.label
    );
    println!("api_key:      {}", k.api_key);
    println!("passkey:      {}", k.passkey);
    println!("announce_url: {}", k.announce_url);
}

fn print_members(args: &AdminArgs, list: &[MemberView]) {
    if args.json {
        println!("{}", serde_json::to_string_pretty(list).unwrap_or_default());
        return;
    }
    println!(
        "{:>5}  {:<24} {:<8} {:>8} {:>7} {:>14} {:>14}",
        "id", "label", "state", "uploads", "grabs", "uploaded", "downloaded"
    );
    for m in list {
        println!(
            "{:>5}  {:<24} {:<8} {:>8} {:>7} {:>14} {:>14}",
            m.member.id,
            m.member.label,
            if m.enabled { "enabled" } else { "disabled" },
            m.member.uploads,
            m.member.grabs,
            m.member.uploaded,
            m.member.downloaded
        );
    }
}
