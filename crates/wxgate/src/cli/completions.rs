//! `wxgate completions SHELL`: the shell completion script, on stdout.
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Failure};

/// Options of `wxgate completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the completion script for `args.shell`.
pub fn run(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "wxgate", &mut out);
    use std::io::Write as _;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Failure::other(format!("writing the script: {e}")))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap_complete::Shell;

    use crate::cli::Cli;

    #[test]
    fn every_shell_gets_a_script_naming_the_commands() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wxgate", &mut out);
            let script = String::from_utf8(out).expect("UTF-8");
            for word in ["wxgate", "simulate", "qrcode", "completions"] {
                assert!(script.contains(word), "{shell:?} lacks {word}");
            }
        }
    }
}
