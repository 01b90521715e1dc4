// Interim entry point of the `create` branch: only `create` is wired here; the
// merge into main keeps main's Cli and adds `Command::Create(args) => privateindexer::create::run(args)`.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "privateindexer", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a private .torrent from files or folders.
    Create(privateindexer::create::CreateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter("warn")
        .init();
    let result = match cli.command {
        Command::Create(args) => privateindexer::create::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
