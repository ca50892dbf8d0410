//! The parity test: every operation of `schemas/openapi.json` has a command, and every
//! command's operation exists there with the same method and path, and the command exists in
//! the command tree. And every group's `--help` has examples.

use std::collections::BTreeMap;

use clap::CommandFactory;
use serde_json::Value;

use crate::cli::Cli;

const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/openapi.json");

/// `{name}` → `{}`, so that parameter names do not matter.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// operationId → (METHOD, path) from the document.
fn spec() -> BTreeMap<String, (String, String)> {
    let text =
        std::fs::read_to_string(OPENAPI).unwrap_or_else(|e| panic!("reading {OPENAPI}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{OPENAPI}: {e}"));
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op["operationId"].as_str() {
                out.insert(id.to_owned(), (method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_operation_has_a_command() {
    let spec = spec();
    assert!(
        spec.len() > 50,
        "only {} operations in {OPENAPI}",
        spec.len()
    );
    let table = super::all_ops();
    let missing: Vec<&String> = spec
        .keys()
        .filter(|id| !table.iter().any(|(_, op)| op.id == id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a command: {missing:?}. Add a command for each and list it in the \
         OPS table of its group (cli/src/commands/*.rs); its `ops::` constant is generated from the document"
    );
}

#[test]
fn every_command_calls_an_operation_of_the_document() {
    let spec = spec();
    for (command, op) in super::all_ops() {
        let Some((method, path)) = spec.get(op.id) else {
            panic!("`{command}` calls {:?}, which is not in {OPENAPI}", op.id);
        };
        assert_eq!(
            (method.as_str(), shape(path)),
            (op.method.as_str(), shape(op.path)),
            "`{command}` calls {} as {} {}",
            op.id,
            op.method.as_str(),
            op.path
        );
    }
}

#[test]
fn every_command_of_the_table_exists() {
    let root = Cli::command();
    for (command, _) in super::all_ops() {
        let mut cmd = &root;
        for word in command.split(' ') {
            cmd = cmd
                .find_subcommand(word)
                .unwrap_or_else(|| panic!("`codex-manager {command}`: no subcommand {word:?}"));
        }
    }
}

#[test]
fn shapes_ignore_parameter_names() {
    assert_eq!(
        shape("/api/sessions/{id}/requests/{requestId}/decision"),
        "/api/sessions/{}/requests/{}/decision"
    );
}

#[test]
fn every_group_has_examples() {
    for group in Cli::command().get_subcommands() {
        let help = group
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            help.contains("Examples:") && help.contains("codex-manager"),
            "`codex-manager {} --help` has no examples",
            group.get_name()
        );
    }
}
