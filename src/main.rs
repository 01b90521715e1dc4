use std::process::ExitCode;

use clap::Parser;
use privateindexer::cli::{Cli, Command};
use privateindexer::legacy_env::{warn_unused, Role};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = privateindexer::logging::init(&cli.log_level).and_then(|()| match cli.command {
        Command::Server(args) => {
            warn_unused(Role::Server);
            privateindexer::server::run(*args)
        }
        Command::Admin(args) => privateindexer::admin_cli::run(*args),
        Command::Create(args) => privateindexer::create::run(args),
        Command::Client(args) => {
            warn_unused(Role::Client);
            privateindexer::client::run(*args)
        }
        Command::Healthcheck(args) => privateindexer::healthcheck::run(args),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One clear line, no backtrace: the context names the setting or cause.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
