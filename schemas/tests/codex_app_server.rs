//! Fails when the committed `codex app-server` protocol schema (`schemas/codex-app-server/`)
//! differs from what the installed runtime generates, so a runtime upgrade is a reviewed diff.
//!
//! The binary is `$CODEX_BIN`, else the project-local install under `.tools/`. Without one the
//! test prints `SKIPPED` and passes (CI installs the pinned version, so it runs there). Files are
//! compared as parsed JSON by relative path, so neither directory order nor formatting matters.

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
    let Some(bin) = codex_bin(&root) else {
        println!(
            "SKIPPED: no codex binary (set CODEX_BIN or run scripts/install-deps.sh); \
             schemas/codex-app-server/ not checked"
        );
        return;
    };
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
        version = codex_version(&bin),
        n = differing.len(),
        list = differing.join("\n  "),
    );
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
