//! `wxgate`: parse the command line, run, map the result to exit status 0/1/2.
use std::process::ExitCode;

use clap::Parser;
use wxgate::cli::{self, Cli};

mod memory;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    wxgate::telemetry::init(wxgate::config::log_format(cli.config.as_deref()));
    memory::start_trimming();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(memory::collect_when_idle)
        .build();
    let runtime = match runtime {
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

/// A command line clap refused: help and version as clap prints them; an error as one line
/// naming the argument at fault (contract section 1), with the usage, and exit status 2.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // `wxgate --help` exits 0; `wxgate qrcode` (no subcommand) shows the help and exits 2.
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    }
    eprintln!("wxgate: {}", one_line(&err.render().to_string()));
    ExitCode::from(2)
}

/// clap's rendered error (`error: ...`, indented items, tips, a `Usage:` line, a pointer to
/// `--help`) as one line: `the following required arguments were not provided: --scene
/// <SCENE> (usage: wxgate qrcode create --scene <SCENE>)`.
fn one_line(rendered: &str) -> String {
    let mut message = String::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("Usage:") {
            usage = Some(rest.trim().to_string());
        } else if line.starts_with("For more information") {
            continue;
        } else {
            let line = line.strip_prefix("error: ").unwrap_or(line);
            if !message.is_empty() {
                message.push_str(if message.ends_with(':') { " " } else { "; " });
            }
            message.push_str(line);
        }
    }
    match usage {
        Some(usage) => format!("{message} (usage: {usage})"),
        None => message,
    }
}
