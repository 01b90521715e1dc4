use std::process::ExitCode;

use clap::Parser;
use privateindexer::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    privateindexer::logging::init(&cli.log_level);
    let result = match cli.command {
        Command::Server(args) => privateindexer::server::run(*args),
        Command::Admin(args) => privateindexer::admin_cli::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One clear line, no backtrace: the chain names the setting or cause.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
