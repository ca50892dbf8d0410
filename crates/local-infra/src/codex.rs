//! The "Offline model" `config.toml` of `/work/shared/design/codex-runtime.md`: codex talks to a
//! scripted Responses-API server (`cm-mock-model`) instead of a real model.
//!
//! The `CODEX_HOME` that holds it must not be under `/tmp`, where codex refuses to create its
//! helper binaries.

/// The environment variable the mock provider reads its API key from.
pub const MOCK_API_KEY_ENV: &str = "MOCK_API_KEY";

/// `config.toml` for a mock provider at `mock_base_url` (for example `http://127.0.0.1:PORT/v1`):
/// model `mock-model`, `approval_policy = "never"`, `sandbox_mode = "read-only"`, no retries, no
/// plugins, no analytics.
pub fn offline_config_toml(mock_base_url: &str) -> String {
    let base_url = toml_string(mock_base_url);
    format!(
        r#"model = "mock-model"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "read-only"

[model_providers.mock]
name = "mock"
base_url = {base_url}
wire_api = "responses"
env_key = "{MOCK_API_KEY_ENV}"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false

[analytics]
enabled = false
"#
    )
}

/// A TOML basic string.
fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_the_base_url() {
        let config = offline_config_toml("http://127.0.0.1:9/v1\"x");
        assert!(
            config.contains(r#"base_url = "http://127.0.0.1:9/v1\"x""#),
            "{config}"
        );
        assert!(config.contains("env_key = \"MOCK_API_KEY\""));
    }
}
