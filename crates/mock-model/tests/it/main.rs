//! Integration tests of cm-mock-model: the wire format over real HTTP, script selection,
//! failure modes, the binary, and whole turns of the real `codex app-server` against it.

mod app_server;
mod binary;
mod codex;
mod errors;
mod selection;
mod support;
mod wire;
