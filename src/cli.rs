//! Command line: one binary, a subcommand per role.

use clap::{Parser, Subcommand};

use crate::{admin_cli::AdminArgs, app::config::ServerArgs};

#[derive(Debug, Parser)]
#[command(
    name = "privateindexer",
    version,
    about = "A private BitTorrent swarm for friends' media libraries"
)]
pub struct Cli {
    /// Log filter: error, warn, info, debug, trace in any case (also WARNING, CRITICAL), or a tracing directive such as `privateindexer=debug`.
    /// The HTTP libraries (warp, hyper, h2, reqwest) stay at info: their traces carry keys.
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the indexer, client API, admin panel and tracker in one process.
    Server(Box<ServerArgs>),
    /// Operator tasks: admin password, members, backups.
    Admin(Box<AdminArgs>),
    /// Share the member's *arr libraries: scan, shape torrents, upload, keep in sync.
    Client(Box<crate::client::ClientArgs>),
    /// Make a private .torrent from a file or folder (the engine the client uses).
    Create(crate::create::CreateArgs),
    /// Exit 0 when the server or client at HEALTHCHECK_URL answers its health route (for HEALTHCHECK).
    Healthcheck(crate::healthcheck::HealthcheckArgs),
}
