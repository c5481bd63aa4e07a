//! `wxgate`: parse the command line, run, map the result to exit status 0/1/2.
use std::process::ExitCode;

use clap::Parser;
use wxgate::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    wxgate::telemetry::init(wxgate::config::log_format(cli.config.as_deref()));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxgate: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("wxgate: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
