//! The script: which reply the mock model plays for which request.
//!
//! A [`Script`] is a list of [`Rule`]s. The rule is chosen by its [`Match`] on the text of the
//! last user message of the request (the first matching rule wins; a rule without `match` is the
//! default, used only when no other rule matches). Within the rule, the [`Step`] played is the
//! number of tool outputs (`function_call_output` / `custom_tool_call_output` items) that follow
//! that user message: step 0 answers the user, step 1 answers the first tool result, and so on;
//! past the end the last step is replayed. What a step contains is described in the `item` module.
//!
//! Scripts are validated when they are deserialized, so a `Script` obtained from JSON is always
//! playable.

use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::item::{Item, MessageItem, Step};
use crate::usage::Usage;

/// The demo script shipped with the crate (`scripts/demo.json`).
pub const DEMO_SCRIPT_JSON: &str = include_str!("../scripts/demo.json");

/// A whole script: rules plus defaults for every rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "ScriptRepr")]
pub struct Script {
    /// The rules, in the order they are tried.
    pub rules: Vec<Rule>,
    /// Default pause between two deltas, in milliseconds (0 when unset).
    pub delay_ms: Option<u64>,
    /// Default token usage reported in `response.completed`.
    pub usage: Option<Usage>,
    /// Model name listed by `GET /v1/models` and echoed in responses (`mock-model` when unset).
    pub model: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptRepr {
    rules: Vec<Rule>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    model: Option<String>,
    /// Free text for the reader of the file; ignored.
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

impl TryFrom<ScriptRepr> for Script {
    type Error = String;

    fn try_from(repr: ScriptRepr) -> Result<Self, String> {
        let script = Script {
            rules: repr.rules,
            delay_ms: repr.delay_ms,
            usage: repr.usage,
            model: repr.model,
        };
        script.validate()?;
        Ok(script)
    }
}

/// One rule: when it applies and what it plays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A label for logs.
    #[serde(default)]
    pub name: Option<String>,
    /// When the rule applies; `None` makes it a default rule.
    #[serde(default, rename = "match")]
    pub matcher: Option<Match>,
    /// The replies, one per model request of the turn.
    pub steps: Vec<Step>,
    /// Pause between deltas for this rule (overrides the script's).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Usage for this rule (overrides the script's).
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// A condition on the text of the last user message. All the given conditions must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The text contains this string.
    #[serde(default)]
    pub contains: Option<String>,
    /// The text, trimmed, equals this string.
    #[serde(default)]
    pub equals: Option<String>,
    /// Compare without regard to case.
    #[serde(default)]
    pub ignore_case: bool,
}

impl Match {
    /// Whether `text` (the last user message) satisfies this condition.
    pub fn matches(&self, text: &str) -> bool {
        let fold = |s: &str| {
            if self.ignore_case {
                s.to_lowercase()
            } else {
                s.to_owned()
            }
        };
        let text = fold(text);
        let contains_ok = self
            .contains
            .as_deref()
            .is_none_or(|needle| text.contains(&fold(needle)));
        let equals_ok = self
            .equals
            .as_deref()
            .is_none_or(|expected| text.trim() == fold(expected).trim());
        contains_ok && equals_ok
    }
}

impl Script {
    /// Parses and validates a script from JSON text.
    pub fn from_json(json: &str) -> Result<Script, Error> {
        Ok(serde_json::from_str(json)?)
    }

    /// Parses and validates a script from a JSON value (handy with `serde_json::json!`).
    pub fn from_value(value: serde_json::Value) -> Result<Script, Error> {
        Ok(serde_json::from_value(value)?)
    }

    /// Reads, parses and validates a script file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Script, Error> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path).map_err(|source| Error::ReadScript {
            path: path.to_owned(),
            source,
        })?;
        Script::from_json(&json)
    }

    /// The built-in demo script (`scripts/demo.json`, documented in the crate README).
    pub fn demo() -> Script {
        // The file is compiled in and covered by a unit test, so the fallback is never played;
        // it exists only so that this path cannot panic.
        Script::from_json(DEMO_SCRIPT_JSON)
            .unwrap_or_else(|err| Script::text(format!("The demo script is invalid: {err}")))
    }

    /// A script that answers every request with one assistant message.
    pub fn text(text: impl Into<String>) -> Script {
        let item = Item::Message(MessageItem {
            text: Some(text.into()),
            ..MessageItem::default()
        });
        Script {
            rules: vec![Rule {
                name: Some("default".into()),
                matcher: None,
                steps: vec![Step::new(vec![item])],
                delay_ms: None,
                usage: None,
            }],
            delay_ms: None,
            usage: None,
            model: None,
        }
    }

    /// The model name this script reports.
    pub fn model_name(&self) -> &str {
        self.model.as_deref().unwrap_or("mock-model")
    }

    /// The rule that answers a request whose last user message is `user_text`: the first rule
    /// whose `match` holds, else the first rule without `match`.
    pub fn select(&self, user_text: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|rule| rule.matcher.as_ref().is_some_and(|m| m.matches(user_text)))
            .or_else(|| self.rules.iter().find(|rule| rule.matcher.is_none()))
    }

    /// Checks the invariants that make every rule playable.
    pub fn validate(&self) -> Result<(), String> {
        if self.rules.is_empty() {
            return Err("a script needs at least one rule".into());
        }
        for (index, rule) in self.rules.iter().enumerate() {
            let label = rule.name.clone().unwrap_or_else(|| format!("#{index}"));
            if rule.steps.is_empty() {
                return Err(format!("rule {label}: needs at least one step"));
            }
            for (step_index, step) in rule.steps.iter().enumerate() {
                step.validate()
                    .map_err(|why| format!("rule {label}, step {step_index}: {why}"))?;
            }
        }
        Ok(())
    }
}

impl Rule {
    /// The step answering a request that carries `tool_outputs` tool results after the user
    /// message (the last step once they run out).
    pub fn step(&self, tool_outputs: usize) -> Option<&Step> {
        self.steps.get(tool_outputs).or_else(|| self.steps.last())
    }

    /// A label for logs.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("unnamed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_script_parses() -> Result<(), Error> {
        let script = Script::from_json(DEMO_SCRIPT_JSON)?;
        for keyword in [
            "RUN_SHELL",
            "APPLY_PATCH",
            "SLOW",
            "FAIL400",
            "FAILSTREAM",
            "CUT",
            "REASON",
            "ASK",
        ] {
            let rule = script.select(&format!("please {keyword} now"));
            assert!(
                rule.is_some_and(|r| r.matcher.is_some()),
                "{keyword} has its own rule"
            );
        }
        assert!(script.select("hello").is_some_and(|r| r.matcher.is_none()));
        Ok(())
    }

    #[test]
    fn default_rule_is_only_a_fallback() -> Result<(), Error> {
        let script = Script::from_value(serde_json::json!({"rules": [
            {"steps": [{"type": "message", "text": "default"}]},
            {"match": {"contains": "KEY"}, "steps": [{"type": "message", "text": "keyed"}]}
        ]}))?;
        assert!(
            script
                .select("a KEY b")
                .is_some_and(|r| r.matcher.is_some())
        );
        assert!(
            script
                .select("nothing")
                .is_some_and(|r| r.matcher.is_none())
        );
        Ok(())
    }

    #[test]
    fn match_conditions() {
        let m = Match {
            contains: Some("run".into()),
            equals: None,
            ignore_case: true,
        };
        assert!(m.matches("Please RUN it"));
        assert!(
            !Match {
                ignore_case: false,
                ..m.clone()
            }
            .matches("Please RUN it")
        );
        let eq = Match {
            equals: Some("hi".into()),
            ..Match::default()
        };
        assert!(eq.matches("  hi\n"));
        assert!(!eq.matches("hi there"));
    }

    #[test]
    fn invalid_scripts_are_rejected() {
        for bad in [
            r#"{"rules": []}"#,
            r#"{"rules": [{"steps": []}]}"#,
            r#"{"rules": [{"steps": [[]]}]}"#,
            r#"{"rules": [{"steps": [[{"type": "message", "text": "a"}, {"type": "error", "status": 400, "message": "x"}]]}]}"#,
            r#"{"rules": [{"steps": [[{"type": "cut"}, {"type": "message", "text": "a"}]]}]}"#,
            r#"{"rules": [{"steps": [{"type": "message", "txt": "typo"}]}]}"#,
            r#"{"rules": [{"steps": [{"type": "message", "text": "ab", "deltas": ["a", "c"]}]}]}"#,
        ] {
            assert!(Script::from_json(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn step_selection_replays_last() -> Result<(), Error> {
        let script = Script::from_json(
            r#"{"rules": [{"steps": [{"type": "message", "text": "a"}, {"type": "message", "text": "b"}]}]}"#,
        )?;
        let rule = &script.rules[0];
        let text = |n| match rule.step(n).map(|s| &s.items[0]) {
            Some(Item::Message(m)) => m.text.clone(),
            _ => None,
        };
        assert_eq!(text(0).as_deref(), Some("a"));
        assert_eq!(text(1).as_deref(), Some("b"));
        assert_eq!(text(7).as_deref(), Some("b"));
        Ok(())
    }
}
