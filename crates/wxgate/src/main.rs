//! `wxgate`: parse the command line, run, map the result to exit status 0/1/2.
use std::process::ExitCode;

use clap::Parser;
use wxgate::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    wxgate::telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxgate: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(cli::run(cli));
    // `serve` has stopped and awaited its own tasks within shutdown_timeout_s; whatever is
    // left (a blocking call stuck on a client) must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("wxgate: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
