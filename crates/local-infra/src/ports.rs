//! Free loopback ports.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

/// A loopback TCP port that was free a moment ago (bind `127.0.0.1:0`, then release it).
///
/// Never returns the same port twice within one process, so parallel users do not collide with
/// each other; a collision with another process is still possible, and the launchers in this
/// crate retry with a new port when their bind fails.
pub fn free_port() -> io::Result<u16> {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let mut guard = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if guard.get_or_insert_with(HashSet::new).insert(port) {
            return Ok(port);
        }
    }
}

/// Whether an error (with its causes) says that a port was taken.
pub(crate) fn port_taken(error: &anyhow::Error) -> bool {
    format!("{error:#}").contains("already in use")
}
