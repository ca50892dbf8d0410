//! `completions`: shell completion scripts, generated from the command tree.

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

/// Writes the script for `cmd`, the whole command tree (given by the caller, so that this
/// module does not depend on the tree it is part of).
pub fn run(args: Args, mut cmd: clap::Command) {
    clap_complete::generate(
        args.shell,
        &mut cmd,
        "codex-manager",
        &mut std::io::stdout(),
    );
}
