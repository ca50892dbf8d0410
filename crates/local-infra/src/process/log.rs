//! Log files of child processes: opening, quoting their tail, and pumping piped output into them
//! line by line.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

/// How much of the end of a log file errors quote.
const TAIL_BYTES: u64 = 4096;

/// Receives each line a child prints (without the newline), after it was appended to the log.
pub type LineSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Opens `path` for appending, creating it if needed.
pub(super) fn open_log(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log file {}", path.display()))
}

/// Copies `reader` line by line into `log` and `sink` on a thread of its own, until EOF (when the
/// child and everything that inherited the pipe have closed it).
pub(super) fn pump_lines(
    reader: impl Read + Send + 'static,
    mut log: File,
    sink: LineSink,
    thread_name: String,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&buf);
                let line = text.trim_end_matches(['\n', '\r']);
                // One write per line keeps lines whole when both pipes append at once.
                let _ = log.write_all(format!("{line}\n").as_bytes());
                sink(line);
            }
        })
        .map(|_| ())
}

/// The last few KiB of the log at `path`, prefixed with its name.
pub fn log_tail(path: &Path) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) if text.trim().is_empty() => format!("log {} is empty", path.display()),
        Ok(text) => format!("end of log {}:\n{}", path.display(), text.trim_end()),
        Err(e) => format!("log {} unreadable: {e}", path.display()),
    }
}
