//! `approvals`, `tool-input` and `tool-calls`: what a turn waits on — approvals of commands,
//! file changes and permissions; answers to questions (and MCP elicitations); results of
//! dynamic tool calls — listed per session and answered. The first answer wins; a repeat of it
//! is a conflict (`already_resolved`), and so is a different one.

use clap::Subcommand;
use cm_schemas::http::Decision;
use cm_schemas::request::{RequestClass, RequestKind};
use serde_json::{Map, Value, json};

use super::{Ctx, body, json_arg};
use crate::client::Query;
use crate::exit::CliError;
use crate::ops::{self, Op};
use crate::output::{self, cell};

pub const OPS: &[(&str, &Op)] = &[
    ("approvals list", &ops::LIST_REQUESTS),
    ("approvals list", &ops::LIST_ALL_REQUESTS),
    ("approvals decide", &ops::DECIDE_REQUEST),
    ("tool-input list", &ops::LIST_REQUESTS),
    ("tool-input list", &ops::LIST_ALL_REQUESTS),
    ("tool-input decide", &ops::DECIDE_REQUEST),
    ("tool-calls list", &ops::LIST_REQUESTS),
    ("tool-calls list", &ops::LIST_ALL_REQUESTS),
    ("tool-calls respond", &ops::DECIDE_REQUEST),
];

/// Whether a listed request (JSON) is of `class`.
fn of_class(request: &Value, class: RequestClass) -> bool {
    serde_json::from_value::<RequestKind>(request["kind"].clone()).is_ok_and(|k| k.class() == class)
}

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// The session; every session's when left out.
    session: Option<String>,
    /// Resolved and expired ones too.
    #[arg(long)]
    all: bool,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager approvals list              # what every session waits on
  codex-manager approvals list <SESSION>
  codex-manager approvals decide <SESSION> <REQUEST> accept
  codex-manager approvals decide <SESSION> <REQUEST> accept --for-session
  codex-manager approvals decide <SESSION> <REQUEST> decline
  codex-manager approvals decide <SESSION> <REQUEST> --response '{\"permissions\": {}}'")]
pub struct ApprovalsArgs {
    #[command(subcommand)]
    cmd: ApprovalsCmd,
}

#[derive(Debug, Subcommand)]
enum ApprovalsCmd {
    /// List the session's pending approvals.
    List(ListArgs),
    /// Approve or decline.
    Decide {
        session: String,
        request: String,
        /// accept, decline or cancel (command and file-change approvals).
        #[arg(value_parser = ["accept", "decline", "cancel", "acceptForSession"], required_unless_present = "response")]
        decision: Option<String>,
        /// Accept this and the same kind of request for the rest of the session.
        #[arg(long)]
        for_session: bool,
        /// The full response for the runtime instead (permissions approvals), as JSON.
        #[arg(long, value_name = "JSON", conflicts_with = "decision")]
        response: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager tool-input list <SESSION>
  codex-manager tool-input decide <SESSION> <REQUEST> --answer color=Red
  codex-manager tool-input decide <SESSION> <REQUEST> --response '{\"answers\": {\"color\": {\"answers\": [\"Red\"]}}}'")]
pub struct ToolInputArgs {
    #[command(subcommand)]
    cmd: ToolInputCmd,
}

#[derive(Debug, Subcommand)]
enum ToolInputCmd {
    /// List the session's pending questions.
    List(ListArgs),
    /// Answer the questions of a request.
    Decide {
        session: String,
        request: String,
        /// QUESTION_ID=ANSWER; repeat for more answers or more questions.
        #[arg(long, value_name = "ID=ANSWER", required_unless_present = "response")]
        answer: Vec<String>,
        /// The full response for the runtime instead, as JSON.
        #[arg(long, value_name = "JSON", conflicts_with = "answer")]
        response: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager tool-calls list <SESSION>
  codex-manager tool-calls respond <SESSION> <REQUEST> --text '42'
  codex-manager tool-calls respond <SESSION> <REQUEST> --text 'no such file' --failed")]
pub struct ToolCallsArgs {
    #[command(subcommand)]
    cmd: ToolCallsCmd,
}

#[derive(Debug, Subcommand)]
enum ToolCallsCmd {
    /// List the session's pending dynamic tool calls.
    List(ListArgs),
    /// Give a tool call its result.
    Respond {
        session: String,
        request: String,
        /// Text output; repeat for more content items.
        #[arg(long, required_unless_present = "response")]
        text: Vec<String>,
        /// The call failed.
        #[arg(long)]
        failed: bool,
        /// The full response for the runtime instead, as JSON.
        #[arg(long, value_name = "JSON", conflicts_with_all = ["text", "failed"])]
        response: Option<String>,
    },
}

pub async fn approvals(ctx: &Ctx, args: ApprovalsArgs) -> anyhow::Result<()> {
    match args.cmd {
        ApprovalsCmd::List(list_args) => list(ctx, RequestClass::Approval, list_args).await,
        ApprovalsCmd::Decide {
            session,
            request,
            decision,
            for_session,
            response,
        } => {
            let decision = match response {
                Some(raw) => respond(json_arg(&raw)?),
                None => Decision {
                    decision: decision.map(Into::into),
                    scope: for_session.then(|| "session".to_owned()),
                    response: None,
                },
            };
            decide(ctx, &session, &request, &decision).await
        }
    }
}

pub async fn tool_input(ctx: &Ctx, args: ToolInputArgs) -> anyhow::Result<()> {
    match args.cmd {
        ToolInputCmd::List(list_args) => list(ctx, RequestClass::ToolInput, list_args).await,
        ToolInputCmd::Decide {
            session,
            request,
            answer,
            response,
        } => {
            let response = match response {
                Some(raw) => json_arg(&raw)?,
                None => answers(&answer)?,
            };
            decide(ctx, &session, &request, &respond(response)).await
        }
    }
}

pub async fn tool_calls(ctx: &Ctx, args: ToolCallsArgs) -> anyhow::Result<()> {
    match args.cmd {
        ToolCallsCmd::List(list_args) => list(ctx, RequestClass::ToolCall, list_args).await,
        ToolCallsCmd::Respond {
            session,
            request,
            text,
            failed,
            response,
        } => {
            let response = match response {
                Some(raw) => json_arg(&raw)?,
                None => tool_result(&text, failed),
            };
            decide(ctx, &session, &request, &respond(response)).await
        }
    }
}

/// The answer to a question or a tool call: the runtime's result object.
fn respond(response: Value) -> Decision {
    Decision {
        decision: None,
        scope: None,
        response: Some(response),
    }
}

/// A dynamic tool call's result: text items, and whether it succeeded.
fn tool_result(texts: &[String], failed: bool) -> Value {
    let items: Vec<Value> = texts
        .iter()
        .map(|t| json!({ "type": "inputText", "text": t }))
        .collect();
    json!({ "contentItems": items, "success": !failed })
}

/// `--answer id=a --answer id=b --answer other=c` as `{answers: {id: {answers: [a, b]}, ...}}`.
fn answers(pairs: &[String]) -> anyhow::Result<Value> {
    let mut out = Map::new();
    for pair in pairs {
        let Some((id, answer)) = pair.split_once('=') else {
            return Err(
                CliError::usage(format!("--answer {pair:?}: expected QUESTION_ID=ANSWER")).into(),
            );
        };
        let entry = out
            .entry(id.to_owned())
            .or_insert_with(|| json!({ "answers": [] }));
        if let Some(list) = entry["answers"].as_array_mut() {
            list.push(json!(answer));
        }
    }
    Ok(json!({ "answers": out }))
}

async fn list(ctx: &Ctx, class: RequestClass, args: ListArgs) -> anyhow::Result<()> {
    let query = Query::new()
        .opt("kind", Some(class.as_str()))
        .flag("includeResolved", args.all);
    let v = match &args.session {
        Some(session) => {
            ctx.client
                .call(&ops::LIST_REQUESTS, &[session], query, None)
                .await?
        }
        None => {
            ctx.client
                .call(&ops::LIST_ALL_REQUESTS, &[], query, None)
                .await?
        }
    };
    let mine: Vec<Value> = output::slice(&v)
        .iter()
        .filter(|r| of_class(r, class))
        .cloned()
        .collect();
    let mine = Value::Array(mine);
    let every_session = args.session.is_none();
    ctx.out.show(&mine, |v| {
        let rows = output::slice(v)
            .iter()
            .map(|r| {
                let mut row = vec![cell(&r["id"])];
                if every_session {
                    row.push(cell(&r["sessionId"]));
                }
                row.extend([
                    cell(&r["kind"]),
                    cell(&r["status"]),
                    summary(r),
                    cell(&r["openedAt"]),
                ]);
                row
            })
            .collect();
        let headers: &[&str] = if every_session {
            &["id", "session", "kind", "status", "about", "opened"]
        } else {
            &["id", "kind", "status", "about", "opened"]
        };
        output::table(headers, rows, "(none pending)");
    });
    Ok(())
}

/// What a request is about, in a few words.
fn summary(r: &Value) -> String {
    let p = &r["params"];
    if let Some(command) = p["command"].as_str() {
        return output::cell(&json!(format!("$ {command}")));
    }
    if let Some(first) = p["questions"][0]["question"].as_str() {
        return output::cell(&json!(first));
    }
    if let Some(tool) = p["tool"].as_str() {
        return output::cell(&json!(format!("{tool}({})", p["arguments"])));
    }
    output::cell(&p["reason"])
}

async fn decide(
    ctx: &Ctx,
    session: &str,
    request: &str,
    decision: &Decision,
) -> anyhow::Result<()> {
    let v = ctx
        .client
        .call(
            &ops::DECIDE_REQUEST,
            &[session, request],
            Query::new(),
            Some(body(decision)?),
        )
        .await?;
    let line = format!(
        "request {request} {}: {}",
        cell(&v["status"]),
        v["response"]["decision"]
            .as_str()
            .map_or_else(|| cell(&v["response"]), str::to_owned)
    );
    ctx.out.done(&v, &line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_group_by_question() {
        let pairs = ["color=Red", "color=Blue", "size=L=XL"].map(String::from);
        assert_eq!(
            answers(&pairs).unwrap_or_default(),
            json!({ "answers": {
                "color": { "answers": ["Red", "Blue"] },
                "size": { "answers": ["L=XL"] },
            } })
        );
        assert!(answers(&["no-equals".to_owned()]).is_err());
    }

    #[test]
    fn tool_results_carry_text_and_success() {
        assert_eq!(
            tool_result(&["42".to_owned()], false),
            json!({ "contentItems": [{ "type": "inputText", "text": "42" }], "success": true })
        );
        assert_eq!(tool_result(&[], true)["success"], false);
    }

    #[test]
    fn listed_requests_are_told_apart_by_class() {
        let question = json!({ "kind": "mcpElicitation" });
        assert!(of_class(&question, RequestClass::ToolInput));
        assert!(!of_class(&question, RequestClass::Approval));
        assert!(!of_class(
            &json!({ "kind": "brandNew" }),
            RequestClass::ToolCall
        ));
    }
}
