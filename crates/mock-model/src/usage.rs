//! Token usage: the numbers a step, a rule or the script reports in `response.completed`.
//!
//! A leaf of the crate: the script ([`crate::script`]), its steps ([`crate::item`]), the player
//! and the SSE writer all use it, so it depends on none of them.

use serde::Deserialize;

/// Token usage reported in `response.completed`; unset numbers are estimated
/// (about four bytes of request or output per token).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// `usage.input_tokens`.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// `usage.input_tokens_details.cached_tokens`.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
    /// `usage.output_tokens`.
    #[serde(default)]
    pub output_tokens: Option<u64>,
    /// `usage.output_tokens_details.reasoning_tokens`.
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
    /// `usage.total_tokens` (input + output when unset).
    #[serde(default)]
    pub total_tokens: Option<u64>,
}

impl Usage {
    /// Fills the unset fields of `self` from `fallback`.
    pub fn or(self, fallback: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.or(fallback.input_tokens),
            cached_tokens: self.cached_tokens.or(fallback.cached_tokens),
            output_tokens: self.output_tokens.or(fallback.output_tokens),
            reasoning_tokens: self.reasoning_tokens.or(fallback.reasoning_tokens),
            total_tokens: self.total_tokens.or(fallback.total_tokens),
        }
    }
}
