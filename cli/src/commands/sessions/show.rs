//! How a session and its transcript read on a terminal.

use serde_json::Value;

use crate::output::{self, cell};

/// A `SessionInfo`.
pub fn session(v: &Value) {
    output::kv(&[
        ("ID", cell(&v["id"])),
        ("Title", cell(&v["title"])),
        ("Status", cell(&v["status"])),
        ("Model", cell(&v["model"])),
        ("Cwd", cell(&v["cwd"])),
        ("Project", cell(&v["projectId"])),
        ("Archived", cell(&v["archived"])),
        ("Created", cell(&v["createdAt"])),
        ("Updated", cell(&v["updatedAt"])),
    ]);
}

/// A `SessionSnapshot`: the session, then its turns and transcript entries in stream order.
pub fn snapshot(v: &Value) {
    session(&v["session"]);
    println!("{:<8}  {}", "Seq", cell(&v["seq"]));
    let position = |x: &Value| x["seq"].as_u64().unwrap_or(u64::MAX);
    let mut parts: Vec<(u64, &Value, bool)> = output::slice(&v["turns"])
        .iter()
        .map(|t| (position(t), t, true))
        .chain(
            output::slice(&v["entries"])
                .iter()
                .map(|e| (position(e), e, false)),
        )
        .collect();
    parts.sort_by_key(|(seq, ..)| *seq);
    for (_, part, is_turn) in parts {
        println!();
        if is_turn {
            turn(part);
        } else {
            println!(
                "[{}] {}",
                cell(&part["role"]),
                part["text"].as_str().unwrap_or_default()
            );
        }
    }
}

fn turn(turn: &Value) {
    let mut head = format!("── turn {} ({})", cell(&turn["id"]), cell(&turn["status"]));
    if let Some(error) = turn["error"].as_object() {
        head.push_str(&format!(" error: {}", cell(&Value::Object(error.clone()))));
    }
    println!("{head}");
    for item in output::slice(&turn["items"]) {
        print_item(item);
    }
}

fn print_item(item: &Value) {
    let text = item["text"].as_str().unwrap_or_default().trim_end();
    match item["itemType"].as_str().unwrap_or_default() {
        "userMessage" => {
            let text = if text.is_empty() {
                user_text(&item["item"])
            } else {
                text.to_owned()
            };
            println!("> {text}");
        }
        "agentMessage" => println!("{text}"),
        "reasoning" if !text.is_empty() => println!("(thinking) {text}"),
        "commandExecution" => {
            let full = &item["item"];
            println!(
                "$ {}  [{}{}]",
                cell(&full["command"]),
                cell(&full["status"]),
                full["exitCode"]
                    .as_i64()
                    .map(|c| format!(", exit {c}"))
                    .unwrap_or_default()
            );
        }
        "fileChange" => println!("(file change, {})", cell(&item["item"]["status"])),
        other => println!("({other}, {})", cell(&item["status"])),
    }
}

/// The text of a `userMessage` item's content parts.
fn user_text(item: &Value) -> String {
    output::slice(&item["content"])
        .iter()
        .filter_map(|part| part["text"].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
