//! `up logs [service]`: the end of each service's log under `<data>/logs`, or of one, and with
//! `--follow` what is appended to them (polled; lines prefixed with the service when there is
//! more than one).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::control::DataDir;
use crate::exit::CliError;

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// One service (gateway, session, runtime-bridge, queue-worker, nats, postgres, ...).
    service: Option<String>,
    /// Lines from the end of each log (0: all of it).
    #[arg(short = 'n', long, default_value_t = 50)]
    lines: usize,
    /// Keep printing what is appended.
    #[arg(short, long)]
    follow: bool,
    #[command(flatten)]
    dir: DataDir,
}

pub async fn run(args: LogsArgs) -> anyhow::Result<()> {
    let logs = args.dir.resolve()?.join("logs");
    let available = list(&logs)?;
    let chosen: Vec<(String, PathBuf)> = match &args.service {
        Some(name) => {
            let found = available.iter().find(|(n, _)| n == name).cloned();
            vec![found.ok_or_else(|| {
                let names: Vec<&str> = available.iter().map(|(n, _)| n.as_str()).collect();
                CliError::usage(format!(
                    "no log for {name:?} in {}; there are: {}",
                    logs.display(),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            })?]
        }
        None => available,
    };
    let prefix = chosen.len() > 1;
    let mut offsets = Vec::new();
    for (name, path) in &chosen {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let lines: Vec<&str> = text.lines().collect();
        let from = if args.lines == 0 {
            0
        } else {
            lines.len().saturating_sub(args.lines)
        };
        if prefix && !args.follow {
            println!("==> {name} ({}) <==", path.display());
        }
        for line in &lines[from..] {
            print_line(prefix && args.follow, name, line);
        }
        offsets.push(text.len() as u64);
    }
    if !args.follow {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        for ((name, path), offset) in chosen.iter().zip(offsets.iter_mut()) {
            let added = read_from(path, offset)?;
            for line in added.lines() {
                print_line(prefix, name, line);
            }
        }
        std::io::stdout().flush()?;
    }
}

fn print_line(prefix: bool, name: &str, line: &str) {
    if prefix {
        println!("{name:<14} | {line}");
    } else {
        println!("{line}");
    }
}

/// The complete lines appended since `offset`, moving it past them (a truncated file starts
/// over).
fn read_from(path: &Path, offset: &mut u64) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len < *offset {
        *offset = 0;
    }
    file.seek(SeekFrom::Start(*offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    *offset += whole as u64;
    Ok(String::from_utf8_lossy(&bytes[..whole]).into_owned())
}

/// `(service, path)` of every `*.log`, by name.
fn list(logs: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let entries = match std::fs::read_dir(logs) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::usage(format!(
                "no logs in {}: has `codex-manager up` run with this --data-dir?",
                logs.display()
            ))
            .into());
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", logs.display())),
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            Some((
                p.file_name()?.to_str()?.strip_suffix(".log")?.to_owned(),
                p.clone(),
            ))
        })
        .collect();
    out.sort();
    Ok(out)
}
