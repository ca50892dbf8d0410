//! Fails when the committed `codex app-server` protocol schema (`schemas/codex-app-server/`)
//! differs from what the installed runtime generates, so a runtime upgrade is a reviewed diff.
//!
//! The binary is `$CODEX_BIN`, else the project-local install under `.tools/`. The test fails —
//! it never skips — when there is no binary, or when the binary's `--version` is not the pinned
//! one (`CODEX_VERSION` in `scripts/install-deps.sh`, the one place the pin is set; the other pins
//! are checked against it below). Files are compared as parsed JSON by relative path, so neither
//! directory order nor formatting matters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `scripts/install-deps.sh` puts the native binary, relative to the workspace root.
const VENDORED_CODEX: &str =
    ".tools/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";

/// A file's content: parsed JSON when it parses (so formatting is irrelevant), else raw bytes.
#[derive(PartialEq)]
enum Content {
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

#[test]
fn committed_codex_app_server_schema_matches_the_installed_runtime() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(&manifest).to_path_buf();
    let pinned = pinned_version(&root);
    let Some(bin) = codex_bin(&root) else {
        panic!(
            "no codex binary: run scripts/install-deps.sh (installs @openai/codex@{pinned} into \
             .tools/codex) or set CODEX_BIN to the pinned runtime; schemas/codex-app-server/ \
             cannot be checked without it"
        );
    };
    assert!(
        bin.is_file(),
        "no codex binary at {} (CODEX_BIN): run scripts/install-deps.sh or point CODEX_BIN at \
         the pinned runtime {pinned}",
        bin.display()
    );
    let version = codex_version(&bin);
    assert_eq!(
        version,
        format!("codex-cli {pinned}"),
        "{} is not the pinned runtime {pinned} (scripts/install-deps.sh CODEX_VERSION); \
         run scripts/install-deps.sh or point CODEX_BIN at the pinned binary",
        bin.display()
    );
    let committed_dir = manifest.join("codex-app-server");
    let tmp = TempDir::new();
    let generated_dir = tmp.0.join("out");
    let output = Command::new(&bin)
        .args(["app-server", "generate-json-schema", "--out"])
        .arg(&generated_dir)
        .env("CODEX_HOME", tmp.0.join("home"))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    assert!(
        output.status.success(),
        "{} app-server generate-json-schema failed: {}\n{}",
        bin.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    let committed = read_tree(&committed_dir);
    let generated = read_tree(&generated_dir);
    let mut differing: Vec<String> = Vec::new();
    for (path, content) in &generated {
        match committed.get(path) {
            None => differing.push(format!("+ {path} (new in the runtime)")),
            Some(c) if c != content => differing.push(format!("~ {path} (changed)")),
            Some(_) => {}
        }
    }
    for path in committed.keys().filter(|p| !generated.contains_key(*p)) {
        differing.push(format!("- {path} (no longer generated)"));
    }
    assert!(
        differing.is_empty(),
        "schemas/codex-app-server/ differs from what {bin} ({version}) generates \
         ({n} files):\n  {list}\n\nIf the runtime upgrade is intended, regenerate from the \
         workspace root and review the diff:\n\n  \
         find schemas/codex-app-server -name '*.json' -delete && \
         {bin} app-server generate-json-schema --out schemas/codex-app-server\n",
        bin = bin.display(),
        n = differing.len(),
        list = differing.join("\n  "),
    );
}

/// Every other place that names the runtime version agrees with `scripts/install-deps.sh`.
#[test]
fn every_pin_of_the_runtime_names_the_same_version() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(&manifest).to_path_buf();
    let pinned = pinned_version(&root);
    let pins = [
        ("deploy/Dockerfile", format!("ARG CODEX_VERSION={pinned}")),
        (
            "schemas/codex-app-server/README.md",
            format!("`@openai/codex` {pinned}"),
        ),
        (
            "docs/runtime-operator.md",
            format!("`@openai/codex` **{pinned}**"),
        ),
        ("README.md", format!("@openai/codex@{pinned}")),
    ];
    for (file, expected) in pins {
        let text = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("reading {file}: {e}"));
        assert!(
            text.contains(&expected),
            "{file} does not pin the runtime as scripts/install-deps.sh does (expected {expected:?})"
        );
    }
}

/// `CODEX_VERSION="x.y.z"` of `scripts/install-deps.sh`.
fn pinned_version(root: &Path) -> String {
    let script = root.join("scripts/install-deps.sh");
    let text = std::fs::read_to_string(&script)
        .unwrap_or_else(|e| panic!("reading {}: {e}", script.display()));
    text.lines()
        .find_map(|l| l.trim().strip_prefix("CODEX_VERSION="))
        .map(|v| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("no CODEX_VERSION= line in {}", script.display()))
}

fn codex_bin(root: &Path) -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("CODEX_BIN").filter(|b| !b.is_empty()) {
        return Some(bin.into());
    }
    let vendored = root.join(VENDORED_CODEX);
    vendored.is_file().then_some(vendored)
}

fn codex_version(bin: &Path) -> String {
    Command::new(bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("version unknown: {e}"))
}

/// Every generated file under `dir` by `/`-separated relative path (our README is not generated).
fn read_tree(dir: &Path) -> BTreeMap<String, Content> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(rel) = path.strip_prefix(dir) else {
                continue;
            };
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if rel == "README.md" {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            let content = match serde_json::from_slice(&bytes) {
                Ok(json) => Content::Json(json),
                Err(_) => Content::Bytes(bytes),
            };
            files.insert(rel, content);
        }
    }
    files
}

/// A scratch directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("cm-codex-schema-{}-{nanos}", std::process::id()));
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("creating {}: {e}", path.display());
        }
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
