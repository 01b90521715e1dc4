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
        long = "admin-server-url",
        alias = "server",
        env = "ADMIN_SERVER_URL",
        value_name = "ADMIN_SERVER_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub server: Url,

    /// Work on the store in this folder directly (the server's DATA_DIR). While a server holds
    /// it, tasks the admin API can do go through `--server` instead.
    #[arg(long, env = "DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Admin password for the server's admin API.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// File whose first line is the admin password (a docker/compose secret).
    #[arg(long, env = "ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,

    /// Server base URL for announce URLs printed in offline mode (as the server's).
    #[arg(long, env = "EXTERNAL_SERVER_URL")]
    pub external_server_url: Option<Url>,

    /// Tracker base URL for announce URLs printed in offline mode (default: EXTERNAL_SERVER_URL).
    #[arg(long, env = "EXTERNAL_TRACKER_URL")]
    pub external_tracker_url: Option<Url>,

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
    /// Import a Python PrivateIndexer group (server 1.11's MySQL database and torrent files) into
    /// the store in --data-dir (server stopped); needs a build with `--features mysql`.
    ImportLegacy(crate::legacy_import::ImportArgs),
    /// Copy every record from one store to another and check the copy (counts and a hash of
    /// the contents); stop the servers using them first.
    Migrate {
        /// The store to copy: `redb:` (the one in --data-dir), `redb:/folder` or `mysql://…`.
        #[arg(long)]
        from: String,
        /// The store to fill; one that holds anything is refused without --force.
        #[arg(long)]
        to: String,
        /// Replace everything the target holds.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    if let AdminTask::Migrate { from, to, force } = &args.task {
        let data_dir = args.data_dir.as_deref().unwrap_or(Path::new("./data"));
        return crate::admin_migrate::run(from, to, *force, data_dir);
    }
    if let Some(dir) = &args.data_dir {
        run_as_owner_of(dir)?;
        match offline(&args, dir) {
            Err(e) if held_by_server(&e) && online_task(&args.task) => eprintln!(
                "{} is in use by a running server; using its admin API at {}",
                dir.display(),
                args.server
            ),
            done => return done,
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(online(&args))
}

fn held_by_server(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<crate::store::StoreError>(),
        Some(crate::store::StoreError::InUse(_))
    )
}

fn online_task(task: &AdminTask) -> bool {
    !matches!(
        task,
        AdminTask::SetPassword
            | AdminTask::Restore { .. }
            | AdminTask::ImportLegacy(_)
            | AdminTask::Migrate { .. }
    )
}

/// Run as root on a service user's store (`sudo privateindexer admin --data-dir
/// /var/lib/privateindexer …`), the CLI becomes that user first, so every file
/// it writes there stays the service's: a root-owned store would stop the
/// service from starting.
#[cfg(unix)]
fn run_as_owner_of(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(()); // a new store: made by whoever runs this
    };
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid == 0 {
        return Ok(());
    }
    // SAFETY: plain syscalls on this single-threaded start path; each result is checked.
    let ok = unsafe {
        libc::setgroups(0, std::ptr::null()) == 0
            && libc::setgid(gid) == 0
            && libc::setuid(uid) == 0
    };
    if !ok {
        bail!(
            "--data-dir {} belongs to uid {uid}: cannot switch to that user ({}); run the command as that user",
            dir.display(),
            std::io::Error::last_os_error()
        );
    }
    eprintln!("running as uid {uid}, the owner of {}", dir.display());
    Ok(())
}

#[cfg(not(unix))]
fn run_as_owner_of(_dir: &Path) -> anyhow::Result<()> {
    Ok(())
}

fn offline(args: &AdminArgs, dir: &Path) -> anyhow::Result<()> {
    match &args.task {
        AdminTask::Restore { file } => return restore(file, dir),
        AdminTask::ImportLegacy(import) => return crate::legacy_import::run(import, dir),
        _ => {}
    }
    let store = crate::store::open(&StoreConfig::Redb {
        data_dir: dir.to_path_buf(),
    })
    .context("--data-dir")?;
    let store = &*store;
    let secret = crate::keys::server_secret(store)?;
    // As the server: the tracker URL, else the server URL, else localhost.
    let server = args
        .external_server_url
        .as_ref()
        .map_or("http://localhost:8081", Url::as_str)
        .trim_end_matches('/')
        .to_string();
    let urls = members::PublicUrls {
        tracker: args
            .external_tracker_url
            .as_ref()
            .map_or(server.as_str(), Url::as_str)
            .trim_end_matches('/')
            .to_string(),
        server,
    };
    let now = crate::core::clock::now();
    match &args.task {
        AdminTask::SetPassword => {
            let password = new_password(args)?;
            crate::admin_password::set(store, &password)?;
            println!("admin password set");
        }
        AdminTask::AddUser { label } => {
            print_keys(args, &members::create(store, &secret, &urls, label, now)?)
        }
        AdminTask::ListUsers => print_members(args, &members::list(store)?),
        AdminTask::Disable { id } => found(store.set_user_enabled(*id, false)?, *id, "disabled")?,
        AdminTask::Enable { id } => found(store.set_user_enabled(*id, true)?, *id, "enabled")?,
        AdminTask::Rotate { id } => match members::rotate(store, &secret, &urls, *id)? {
            Some(k) => print_keys(args, &k),
            None => bail!("no member with id {id}"),
        },
        AdminTask::Delete { id } => found(store.delete_user(*id)?, *id, "deleted")?,
        AdminTask::Backup { file } => {
            store.backup_to(file)?;
            println!("backup written to {}", file.display());
        }
        AdminTask::Restore { .. } | AdminTask::ImportLegacy(_) | AdminTask::Migrate { .. } => {
            unreachable!("handled above")
        }
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
    // Opening the live store first fails if a server holds it; a damaged one
    // (what a restore is usually for) is replaced all the same.
    match RedbStore::open_file(&target) {
        Ok(_) | Err(crate::store::StoreError::Damaged { .. }) => {}
        Err(e) => return Err(e).context("--data-dir (stop the server before restoring)"),
    }
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
    let password = crate::admin_password::from_env_or_file(
        args.admin_password.clone(),
        args.admin_password_file.as_deref(),
    )?
    .context("ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE): needed to reach the server's admin API (or pass --data-dir to work offline)")?;
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
        AdminTask::ImportLegacy(_) => bail!("import-legacy works on the store: stop the server and pass --data-dir"),
        AdminTask::Migrate { .. } => unreachable!("handled in run"),
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
    let resp = req.send().await.map_err(|e| {
        // Named without any user:password an ADMIN_SERVER_URL might carry.
        let tried = e.url().map(|u| {
            let mut u = u.clone();
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        });
        anyhow::anyhow!(
            "cannot reach the server at {} (ADMIN_SERVER_URL / --admin-server-url): {}",
            tried.unwrap_or_default(),
            e.without_url()
        )
    })?;
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
    // An older server's answer has no server_url: the card needs one.
    if !k.server_url.is_empty() {
        println!("\n{}", crate::key_card::KeyCard::new(k).text());
    }
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
