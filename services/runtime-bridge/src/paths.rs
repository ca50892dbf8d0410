//! Paths from clients, checked before they reach the runtime.
//!
//! A client names directories and files for the runtime to work in: a session's `cwd`, a turn's
//! `cwd` override, and the path params of a few operator methods ([`crate::operator`]). Each is
//! checked here, at the bridge — the last stop before `codex app-server` and the only service on
//! the runtime's machine — and refused with a `validation` error (HTTP 400) that names the field:
//! it must be absolute, at most [`MAX_PATH_BYTES`] bytes, free of NUL and other control
//! characters, and free of `..` components (refused rather than resolved: `..` after a symlink
//! is not what a lexical resolution gives). `.` components and repeated or trailing slashes are
//! normalized away. Where the runtime needs the directory to exist (a thread's or a turn's
//! working directory, `command/exec`'s `cwd`), it must be an existing directory on this machine.

use std::path::{Component, Path, PathBuf};

use cm_schemas::BusError;

/// Linux's `PATH_MAX`.
pub const MAX_PATH_BYTES: usize = 4096;

/// Whether the path must name an existing directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Must {
    BeValid,
    BeADirectory,
}

/// Checks `path` (the value of `field`) and returns it normalized.
pub fn checked(field: &str, path: &str, must: Must) -> Result<String, BusError> {
    let refuse = |why: String| Err(BusError::validation(field, format!("{field} {why}")));
    if path.is_empty() {
        return refuse("must not be empty".to_owned());
    }
    if path.len() > MAX_PATH_BYTES {
        return refuse(format!(
            "is {} bytes long; at most {MAX_PATH_BYTES} are allowed",
            path.len()
        ));
    }
    if path.contains('\0') {
        return refuse("must not contain a NUL character".to_owned());
    }
    if path.chars().any(char::is_control) {
        return refuse("must not contain control characters".to_owned());
    }
    let p = Path::new(path);
    if !p.is_absolute() {
        return refuse(format!("must be an absolute path, not {path:?}"));
    }
    let mut normalized = PathBuf::new();
    for component in p.components() {
        match component {
            Component::RootDir => normalized.push("/"),
            Component::CurDir => {}
            Component::Normal(c) => normalized.push(c),
            Component::ParentDir => {
                return refuse(format!("must not contain `..` components: {path:?}"));
            }
            Component::Prefix(_) => return refuse(format!("is not a Unix path: {path:?}")),
        }
    }
    if must == Must::BeADirectory && !normalized.is_dir() {
        return refuse(format!(
            "{:?} is not an existing directory on the runtime's machine",
            normalized.display().to_string()
        ));
    }
    Ok(normalized.to_string_lossy().into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use cm_schemas::ErrorCode;

    fn refused(path: &str) -> String {
        let e = checked("cwd", path, Must::BeValid).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(e.details["field"], "cwd");
        e.message
    }

    #[test]
    fn bad_paths_are_refused_with_a_reason() {
        assert!(refused("").contains("empty"));
        assert!(refused("relative/dir").contains("absolute"));
        assert!(refused("/a/\0b").contains("NUL"));
        assert!(refused("/a/\nb").contains("control"));
        assert!(refused("/srv/../etc").contains(".."));
        assert!(refused("/srv/..").contains(".."));
        assert!(refused(&format!("/{}", "a".repeat(MAX_PATH_BYTES))).contains("at most"));
    }

    #[test]
    fn good_paths_are_normalized() {
        assert_eq!(checked("cwd", "/", Must::BeValid).unwrap(), "/");
        assert_eq!(
            checked("cwd", "/srv//x/./y/", Must::BeValid).unwrap(),
            "/srv/x/y"
        );
        assert_eq!(
            checked("cwd", "/srv/..x/y..", Must::BeValid).unwrap(),
            "/srv/..x/y.."
        );
    }

    #[test]
    fn a_working_directory_must_exist() {
        let dir = std::env::temp_dir();
        let dir = dir.to_str().unwrap();
        assert!(checked("cwd", dir, Must::BeADirectory).is_ok());
        let missing = format!("{dir}/cm-no-such-dir-{}", std::process::id());
        let e = checked("cwd", &missing, Must::BeADirectory).unwrap_err();
        assert!(e.message.contains("not an existing directory"), "{e:?}");
        assert!(checked("cwd", &missing, Must::BeValid).is_ok());
    }
}
