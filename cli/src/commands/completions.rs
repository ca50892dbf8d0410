//! `completions`: shell completion scripts, generated from the command tree.

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager completions bash > ~/.local/share/bash-completion/completions/codex-manager
  codex-manager completions zsh > \"${fpath[1]}/_codex-manager\"
  codex-manager completions fish > ~/.config/fish/completions/codex-manager.fish")]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

pub fn run(args: Args) {
    let mut cmd = crate::cli::Cli::command();
    clap_complete::generate(
        args.shell,
        &mut cmd,
        "codex-manager",
        &mut std::io::stdout(),
    );
}
