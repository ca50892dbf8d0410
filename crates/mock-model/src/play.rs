//! Playing one step as a stream of SSE frames.
//!
//! [`play`] runs in its own task and feeds a channel that backs the HTTP body: when the client
//! goes away the channel closes and the task stops; when the server shuts down (or the step
//! ends with `cut`) the task sends an I/O error, which makes hyper drop the connection without
//! finishing the chunked body, exactly like a network cut.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::item::{FunctionCallItem, Item, MessageItem, ReasoningItem, Step};
use crate::sse::{self, EventWriter};
use crate::text::{self, Placeholders};
use crate::usage::Usage;

/// One piece of the HTTP body.
pub type Chunk = Result<Bytes, io::Error>;

/// Everything needed to play one step.
#[derive(Debug)]
pub struct Plan {
    /// The step to play.
    pub step: Step,
    /// Pause between deltas unless an item says otherwise.
    pub delay: Duration,
    /// Scripted usage; unset numbers are estimated.
    pub usage: Usage,
    /// Values for `{{...}}` in message texts.
    pub placeholders: Placeholders,
    /// Estimated input tokens of the request.
    pub input_tokens: u64,
    /// Model name echoed in the `response` objects.
    pub model: String,
}

/// Why playing stopped early.
enum Stop {
    /// The client closed the connection.
    Gone,
    /// Drop the connection: a scripted `cut` or a server shutdown.
    Abort(&'static str),
}

struct Player {
    writer: EventWriter,
    tx: mpsc::Sender<Chunk>,
    cancel: CancellationToken,
    delay: Duration,
    placeholders: Placeholders,
    output: Vec<Value>,
    deltas_sent: usize,
    output_chars: usize,
    reasoning_chars: usize,
}

/// Plays `plan` into `tx` until done, the client leaves, or `cancel` fires.
pub async fn play(plan: Plan, tx: mpsc::Sender<Chunk>, cancel: CancellationToken) {
    let mut player = Player {
        writer: EventWriter::new(new_id("resp"), plan.model.clone()),
        tx,
        cancel,
        delay: plan.delay,
        placeholders: plan.placeholders.clone(),
        output: Vec::new(),
        deltas_sent: 0,
        output_chars: 0,
        reasoning_chars: 0,
    };
    match player.run(&plan).await {
        Ok(()) | Err(Stop::Gone) => {}
        Err(Stop::Abort(why)) => {
            tracing::debug!(why, "dropping the connection");
            // Ignored: if the client is already gone there is nothing left to cut.
            let _ = player
                .tx
                .send(Err(io::Error::new(io::ErrorKind::ConnectionAborted, why)))
                .await;
        }
    }
}

impl Player {
    async fn run(&mut self, plan: &Plan) -> Result<(), Stop> {
        let created = self.writer.created();
        self.send_frame(created).await?;
        let mut output_index = 0;
        for item in &plan.step.items {
            match item {
                Item::Message(message) => self.message(output_index, message).await?,
                Item::Reasoning(reasoning) => self.reasoning(output_index, reasoning).await?,
                Item::FunctionCall(call) => self.function_call(output_index, call).await?,
                Item::Sleep(sleep) => self.pause(Duration::from_millis(sleep.ms)).await?,
                Item::RawEvent(raw) => self.send(raw.event.clone()).await?,
                Item::FailStream(fail) => {
                    let code = fail.code.as_deref().unwrap_or("server_error");
                    let message = fail.message.as_deref().unwrap_or("scripted stream failure");
                    let failed = self.writer.failed(code, message);
                    return self.send_frame(failed).await;
                }
                // Validation keeps `error` first, where it is answered as HTTP; a hand-built
                // step that has it later fails the stream instead.
                Item::Error(error) => {
                    let failed = self.writer.failed("server_error", &error.message);
                    return self.send_frame(failed).await;
                }
                Item::Cut => return Err(Stop::Abort("scripted cut")),
            }
            if matches!(
                item,
                Item::Message(_) | Item::Reasoning(_) | Item::FunctionCall(_)
            ) {
                output_index += 1;
            }
        }
        let usage = plan.usage.or(self.estimated_usage(plan.input_tokens));
        let completed = self
            .writer
            .completed(std::mem::take(&mut self.output), &usage);
        self.send_frame(completed).await
    }

    async fn message(&mut self, index: usize, message: &MessageItem) -> Result<(), Stop> {
        let id = message.id.clone().unwrap_or_else(|| new_id("msg"));
        let phase = message.phase.as_deref();
        let deltas: Vec<String> = match (&message.deltas, &message.text) {
            (Some(deltas), _) => deltas.iter().map(|d| self.placeholders.fill(d)).collect(),
            (None, Some(text)) => text::split(&self.placeholders.fill(text), message.chunks),
            (None, None) => Vec::new(),
        };
        let text = deltas.concat();
        let delay = message.delay_ms.map_or(self.delay, Duration::from_millis);
        self.send(sse::output_item(
            false,
            index,
            sse::message_item(&id, None, phase),
        ))
        .await?;
        self.send(sse::content_part(false, index, &id, "")).await?;
        for delta in &deltas {
            self.pause_before_delta(delay).await?;
            self.send(sse::text_delta(index, &id, delta)).await?;
        }
        self.output_chars += text.chars().count();
        if message.partial {
            return Ok(());
        }
        self.send(sse::text_done(index, &id, &text)).await?;
        self.send(sse::content_part(true, index, &id, &text))
            .await?;
        let item = sse::message_item(&id, Some(&text), phase);
        self.send(sse::output_item(true, index, item.clone()))
            .await?;
        self.output.push(item);
        Ok(())
    }

    async fn reasoning(&mut self, index: usize, reasoning: &ReasoningItem) -> Result<(), Stop> {
        let id = reasoning.id.clone().unwrap_or_else(|| new_id("rs"));
        let delay = reasoning.delay_ms.map_or(self.delay, Duration::from_millis);
        let parts: Vec<String> = reasoning
            .summary
            .iter()
            .map(|part| self.placeholders.fill(part))
            .collect();
        self.send(sse::output_item(
            false,
            index,
            sse::reasoning_item(&id, &[]),
        ))
        .await?;
        for (part_index, part) in parts.iter().enumerate() {
            self.send(sse::summary_part(false, index, &id, part_index, ""))
                .await?;
            for delta in text::split(part, None) {
                self.pause_before_delta(delay).await?;
                self.send(sse::summary_delta(index, &id, part_index, &delta))
                    .await?;
            }
            self.send(sse::summary_done(index, &id, part_index, part))
                .await?;
            self.send(sse::summary_part(true, index, &id, part_index, part))
                .await?;
            self.reasoning_chars += part.chars().count();
        }
        let item = sse::reasoning_item(&id, &parts);
        self.send(sse::output_item(true, index, item.clone()))
            .await?;
        self.output.push(item);
        Ok(())
    }

    async fn function_call(&mut self, index: usize, call: &FunctionCallItem) -> Result<(), Stop> {
        let id = call.id.clone().unwrap_or_else(|| new_id("fc"));
        let call_id = call.call_id.clone().unwrap_or_else(|| new_id("call"));
        let arguments = call.arguments_string();
        let added = sse::function_call_item(&id, &call_id, &call.name, "", false);
        self.send(sse::output_item(false, index, added)).await?;
        let item = sse::function_call_item(&id, &call_id, &call.name, &arguments, true);
        self.send(sse::output_item(true, index, item.clone()))
            .await?;
        self.output_chars += arguments.chars().count();
        self.output.push(item);
        Ok(())
    }

    fn estimated_usage(&self, input_tokens: u64) -> Usage {
        let tokens = |chars: usize| u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX);
        let reasoning = tokens(self.reasoning_chars);
        Usage {
            input_tokens: Some(input_tokens),
            cached_tokens: Some(0),
            output_tokens: Some(tokens(self.output_chars).max(1) + reasoning),
            reasoning_tokens: Some(reasoning),
            total_tokens: None,
        }
    }

    async fn send(&mut self, event: Value) -> Result<(), Stop> {
        let frame = self.writer.frame(event);
        self.send_frame(frame).await
    }

    async fn send_frame(&mut self, frame: Bytes) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop::Abort("server shutting down"));
        }
        self.tx.send(Ok(frame)).await.map_err(|_| Stop::Gone)
    }

    /// Deltas are paced: every delta but the first of the response waits `delay`.
    async fn pause_before_delta(&mut self, delay: Duration) -> Result<(), Stop> {
        if self.deltas_sent > 0 {
            self.pause(delay).await?;
        }
        self.deltas_sent += 1;
        Ok(())
    }

    async fn pause(&self, delay: Duration) -> Result<(), Stop> {
        if delay.is_zero() {
            return Ok(());
        }
        tokio::select! {
            () = self.cancel.cancelled() => Err(Stop::Abort("server shutting down")),
            () = self.tx.closed() => Err(Stop::Gone),
            () = tokio::time::sleep(delay) => Ok(()),
        }
    }
}

/// A fresh id like `msg_3f2a9c0d1e4b5a6f`.
pub fn new_id(prefix: &str) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &hex[..16])
}
