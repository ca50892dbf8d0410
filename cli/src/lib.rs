//! codex-manager
