//! `sessions send`: start a turn; with `--wait`, follow the session's events from the snapshot
//! sequence taken before sending (so nothing of the turn can be missed), print the reply as it
//! streams, and end with the turn: exit 0 when it completed, 8 when it failed, 9 when it was
//! interrupted. Approvals and questions the turn waits on are announced on stderr with the
//! command that answers them. Both the announcement and the exit wait until the session's
//! snapshot has caught up with the event (see [`caught_up`]).

use std::collections::HashSet;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use cm_schemas::StreamedEvent;
use cm_schemas::controls::Controls;
use cm_schemas::event::{DeltaStream, Event, EventBody, TurnStatus};
use cm_schemas::http::SendMessage;
use cm_schemas::request::RequestClass;
use cm_schemas::thread::TurnOverrides;
use cm_schemas::transcript::{Transcript, Turn};
use serde_json::{Value, json};

use crate::client::Query;
use crate::client::sse::{Follow, Frame};
use crate::commands::controls::ControlFlags;
use crate::commands::{Ctx, body};
use crate::exit::{Class, CliError};
use crate::ops;
use crate::output::{self, cell};

/// Consecutive failed reconnections before `--wait` gives up.
const MAX_RETRIES: u32 = 20;
/// Longest wait for the snapshot to include an event the stream delivered.
const CATCH_UP: Duration = Duration::from_secs(5);

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// The session.
    id: String,
    /// The message; `-` reads it from stdin.
    text: String,
    /// Print the reply as it streams and exit when the turn ends.
    #[arg(long)]
    wait: bool,
    /// This turn's controls, over the session's.
    #[command(flatten)]
    controls: ControlFlags,
    /// Working directory for this turn.
    #[arg(long)]
    cwd: Option<String>,
}

pub async fn run(ctx: &Ctx, args: SendArgs) -> anyhow::Result<()> {
    let c = &ctx.client;
    let text = if args.text == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the message from stdin")?;
        text
    } else {
        args.text.clone()
    };
    let ControlFlags {
        model,
        effort,
        approval_policy,
        sandbox,
        network_access,
    } = args.controls;
    let overrides = TurnOverrides {
        controls: Controls {
            model,
            effort: effort.map(Into::into),
            approval_policy: approval_policy.map(Into::into),
            sandbox: sandbox.map(Into::into),
            network_access,
        },
        cwd: args.cwd,
    };
    let body = body(&SendMessage { text, overrides })?;
    let id = args.id.as_str();
    if !args.wait {
        let v = c
            .call(&ops::SEND_MESSAGE, &[id], Query::new(), Some(body))
            .await?;
        ctx.out
            .done(&v, &format!("turn {} started", cell(&v["turnId"])));
        return Ok(());
    }
    let snapshot = c.call(&ops::GET_SESSION, &[id], Query::new(), None).await?;
    let path = ops::STREAM_SESSION_EVENTS.path_with(&[id]);
    let mut follow = Follow::new(c, path, Query::new(), snapshot["seq"].as_u64());
    follow.max_retries = Some(MAX_RETRIES);
    // Connected before sending: a session we may not stream fails before a turn starts.
    follow.connect().await?;
    let accepted = c
        .call(&ops::SEND_MESSAGE, &[id], Query::new(), Some(body))
        .await?;
    let turn = accepted["turnId"].as_str().unwrap_or_default().to_owned();
    let mut reply = Reply::new(id, &turn, !ctx.out.json);
    let (status, error) = loop {
        match follow.next().await? {
            Frame::Event { seq, data } => {
                let Ok(event) = serde_json::from_value::<StreamedEvent>(data) else {
                    continue;
                };
                if matches!(event.event.body, EventBody::RequestOpened { .. }) {
                    // Announced once recorded, so that the printed command works at once.
                    caught_up(ctx, id, seq).await;
                }
                if let Some(end) = reply.apply(&event.event) {
                    caught_up(ctx, id, seq).await;
                    break end;
                }
            }
            Frame::Gap { .. } => {
                let snapshot = c.call(&ops::GET_SESSION, &[id], Query::new(), None).await?;
                if let Some(end) = reply.end_from_snapshot(&snapshot) {
                    break end;
                }
                follow.last_id = snapshot["seq"].as_u64();
            }
        }
    };
    reply.end_line();
    if ctx.out.json {
        output::print_json(&json!({
            "sessionId": id, "turnId": turn, "status": status.as_str(),
            "text": reply.text(), "error": error,
        }));
    }
    match status {
        TurnStatus::Completed | TurnStatus::InProgress => Ok(()),
        TurnStatus::Failed => {
            let why = error.as_ref().map(reason).unwrap_or_default();
            Err(CliError::new(Class::TurnFailed, format!("turn {turn} failed: {why}")).into())
        }
        TurnStatus::Interrupted => Err(CliError::new(
            Class::TurnInterrupted,
            format!("turn {turn} was interrupted"),
        )
        .into()),
    }
}

/// Why a turn failed, in a line: the runtime's `message`, which is often the model provider's
/// own JSON error, whose `error.message` is the readable part.
fn reason(error: &Value) -> String {
    let Some(message) = error["message"].as_str() else {
        return cell(error);
    };
    serde_json::from_str::<Value>(message)
        .ok()
        .and_then(|inner| inner["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| message.to_owned())
}

/// Waits (a little) until the session's snapshot includes event `seq`: the stream can run
/// ahead of what the session service has applied, and a script that runs `sessions get` or
/// `approvals list` right after should see what `--wait` saw.
async fn caught_up(ctx: &Ctx, id: &str, seq: u64) {
    let deadline = Instant::now() + CATCH_UP;
    let mut pause = Duration::from_millis(20);
    while Instant::now() < deadline {
        match ctx
            .client
            .call(&ops::GET_SESSION, &[id], Query::new(), None)
            .await
        {
            Ok(snapshot) if snapshot["seq"].as_u64().is_some_and(|s| s >= seq) => return,
            Ok(_) => {}
            Err(_) => return,
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// The reply of one turn as its events arrive.
struct Reply {
    session: String,
    turn: String,
    print: bool,
    /// The session's events folded ([`Transcript`]): the reply is this turn's agent messages.
    transcript: Transcript,
    /// Items whose text was printed (from deltas or whole).
    printed: HashSet<String>,
    at_line_start: bool,
}

impl Reply {
    fn new(session: &str, turn: &str, print: bool) -> Self {
        Self {
            session: session.to_owned(),
            turn: turn.to_owned(),
            print,
            transcript: Transcript::new(),
            printed: HashSet::new(),
            at_line_start: true,
        }
    }

    fn out(&mut self, text: &str) {
        if self.print && !text.is_empty() {
            print!("{text}");
            let _ = std::io::stdout().flush();
            self.at_line_start = text.ends_with('\n');
        }
    }

    /// A notice on stderr (human output only: with `--json` the result says it all).
    fn notice(&mut self, text: &str) {
        if self.print {
            self.end_line();
            eprintln!("{text}");
        }
    }

    fn end_line(&mut self) {
        if !self.at_line_start {
            self.out("\n");
        }
    }

    /// The reply so far: the turn's agent messages, blank-line separated.
    fn text(&self) -> String {
        self.transcript
            .turn(&self.turn)
            .map(Turn::reply_text)
            .unwrap_or_default()
    }

    /// Applies one event (once: a redelivered one is ignored); the turn's end when this was it.
    fn apply(&mut self, event: &Event) -> Option<(TurnStatus, Option<Value>)> {
        if self.transcript.is_applied(event) {
            return None;
        }
        self.transcript.apply(event);
        self.show(&event.body)
    }

    /// Prints what one event says about the turn; the turn's end when this was it.
    fn show(&mut self, body: &EventBody) -> Option<(TurnStatus, Option<Value>)> {
        let ours = |t: &str| t == self.turn;
        match body {
            EventBody::ItemDelta {
                turn_id,
                item_id,
                stream: DeltaStream::Text,
                delta,
            } if ours(turn_id) => {
                self.printed.insert(item_id.clone());
                self.out(delta);
            }
            EventBody::ItemCompleted {
                turn_id,
                item_id,
                item_type,
                item,
            } if ours(turn_id) => {
                self.completed(item_id, item_type.as_str(), item);
            }
            EventBody::RequestOpened { request } if request.turn_id.as_deref().is_none_or(ours) => {
                let what = request.params["command"]
                    .as_str()
                    .or(request.params["reason"].as_str())
                    .unwrap_or(request.method.as_str());
                let (group, verb, hint) = match request.kind.class() {
                    RequestClass::Approval => ("approvals", "decide", "accept"),
                    RequestClass::ToolInput => ("tool-input", "decide", "--answer ID=ANSWER"),
                    RequestClass::ToolCall => ("tool-calls", "respond", "--text TEXT"),
                };
                let session = self.session.clone();
                self.notice(&format!(
                    "waiting for {} {}: {what}\n  answer with: codex-manager {group} {verb} {session} {} {hint}",
                    request.kind.as_str(),
                    request.id,
                    request.id
                ));
            }
            EventBody::RequestResolved {
                request_id,
                decided_by,
                reason,
                ..
            } => {
                self.notice(&format!(
                    "request {request_id} resolved{}{}",
                    decided_by
                        .as_ref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_default(),
                    reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default(),
                ));
            }
            EventBody::RuntimeError {
                turn_id,
                message,
                will_retry,
                ..
            } if turn_id.as_deref().is_none_or(ours) => {
                let message = reason(&json!({ "message": message }));
                let retrying = if *will_retry { " (retrying)" } else { "" };
                self.notice(&format!("runtime error{retrying}: {message}"));
            }
            EventBody::TurnCompleted {
                turn_id,
                status,
                error,
                ..
            } if ours(turn_id) => {
                return Some((*status, error.clone()));
            }
            _ => {}
        }
        None
    }

    fn completed(&mut self, item_id: &str, item_type: &str, item: &Value) {
        match item_type {
            "agentMessage" => {
                let text = item["text"].as_str().unwrap_or_default().to_owned();
                if self.printed.insert(item_id.to_owned()) {
                    self.out(&text);
                }
                self.end_line();
            }
            "commandExecution" => {
                let exit = item["exitCode"]
                    .as_i64()
                    .map(|c| format!(", exit {c}"))
                    .unwrap_or_default();
                let line = format!(
                    "$ {}  [{}{exit}]",
                    cell(&item["command"]),
                    cell(&item["status"])
                );
                self.notice(&line);
            }
            _ => {}
        }
    }

    /// After a gap: the turn's end from the snapshot, printing what was not printed yet.
    fn end_from_snapshot(&mut self, snapshot: &Value) -> Option<(TurnStatus, Option<Value>)> {
        let turn = output::slice(&snapshot["turns"])
            .iter()
            .find(|t| t["id"].as_str() == Some(self.turn.as_str()))?;
        let status: TurnStatus = serde_json::from_value(turn["status"].clone()).ok()?;
        if status == TurnStatus::InProgress {
            return None;
        }
        for item in output::slice(&turn["items"]) {
            let (Some(id), Some(kind)) = (item["id"].as_str(), item["itemType"].as_str()) else {
                continue;
            };
            let folded = self
                .transcript
                .turn(&self.turn)
                .and_then(|t| t.items.iter().find(|i| i.item_id == id))
                .is_some_and(|i| i.completed);
            if kind == "agentMessage" && !folded {
                // Folded as the completion the gap hid from us, then printed like one.
                let body = EventBody::ItemCompleted {
                    turn_id: self.turn.clone(),
                    item_id: id.to_owned(),
                    item_type: kind.into(),
                    item: json!({ "text": item["text"] }),
                };
                self.transcript.apply_body(&body);
                self.show(&body);
            }
        }
        Some((status, turn.get("error").cloned().filter(|e| !e.is_null())))
    }
}
