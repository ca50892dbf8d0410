//! What an event is about: its own module, because both the event type and the subject names
//! need it (and `subjects` must not depend on the event it names).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an event is about; the second token of its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Session,
    Project,
    Job,
    Runtime,
    Extension,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Session => "session",
            Scope::Project => "project",
            Scope::Job => "job",
            Scope::Runtime => "runtime",
            Scope::Extension => "extension",
        }
    }
}
