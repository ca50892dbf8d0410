//! W3C trace-context propagation through NATS and HTTP headers.
//!
//! Publishing side: create/enter the span for the operation, then call
//! [`inject_current`] on the message headers. Consuming side: create the
//! handler span, call [`set_parent_from`] *before* entering it (or
//! instrumenting a future with it), then enter it.
//!
//! All functions use the global text-map propagator, which [`crate::init`]
//! sets to W3C TraceContext (`traceparent` / `tracestate`). They never fail:
//! missing or malformed headers simply mean "no remote parent".

use std::str::FromStr as _;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::{OpenTelemetrySpanExt as _, SetParentError};

/// Writes the current `tracing` span's OpenTelemetry context into NATS
/// message headers (`traceparent`, and `tracestate` when non-empty),
/// replacing existing values. Writes nothing when there is no current span
/// or the OpenTelemetry layer is not installed.
pub fn inject_current(headers: &mut async_nats::HeaderMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&cx, &mut NatsInjector(headers));
    });
}

/// Extracts the remote context carried by NATS message headers.
///
/// The result contains only the remote span context (based on an empty
/// [`Context`], not on the caller's current one); it is empty when `headers`
/// is `None` or carries no valid `traceparent`. Header names are matched
/// exactly first, then ASCII case-insensitively.
pub fn extract(headers: Option<&async_nats::HeaderMap>) -> Context {
    match headers {
        Some(headers) => opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract_with_context(&Context::new(), &NatsExtractor(headers))
        }),
        None => Context::new(),
    }
}

/// Makes `span` a child of the remote context carried by NATS headers.
///
/// Must be called before `span` is entered or its OpenTelemetry context is
/// otherwise started; afterwards the parent can no longer change. Does
/// nothing when the headers carry no valid trace context (the span keeps
/// its normal `tracing` parent) or when the span is disabled by the filter.
pub fn set_parent_from(span: &tracing::Span, headers: Option<&async_nats::HeaderMap>) {
    set_remote_parent(span, extract(headers));
}

/// Writes the current `tracing` span's OpenTelemetry context into HTTP
/// request headers, e.g. for the CLI calling the gateway.
pub fn inject_current_http(headers: &mut http::HeaderMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&cx, &mut HttpInjector(headers));
    });
}

/// Extracts the remote context carried by HTTP request headers
/// (`traceparent` / `tracestate`, case-insensitive). Same semantics as
/// [`extract`].
pub fn extract_http(headers: &http::HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &HttpExtractor(headers))
    })
}

/// Makes `span` a child of the remote context carried by HTTP request
/// headers, so the gateway continues a browser/CLI trace. Same rules as
/// [`set_parent_from`].
pub fn set_parent_from_http(span: &tracing::Span, headers: &http::HeaderMap) {
    set_remote_parent(span, extract_http(headers));
}

fn set_remote_parent(span: &tracing::Span, cx: Context) {
    if !cx.span().span_context().is_valid() {
        return;
    }
    match span.set_parent(cx) {
        Ok(()) | Err(SetParentError::SpanDisabled) => {}
        Err(SetParentError::AlreadyStarted) => tracing::warn!(
            "remote trace parent ignored: span already started; \
             call set_parent_from before entering the span"
        ),
        Err(err) => tracing::debug!(error = %err, "remote trace parent ignored"),
    }
}

/// [`Injector`] over NATS headers; entries that are not valid NATS header
/// names/values are skipped instead of panicking.
struct NatsInjector<'a>(&'a mut async_nats::HeaderMap);

impl Injector for NatsInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            async_nats::HeaderName::from_str(key),
            async_nats::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// [`Extractor`] over NATS headers (which are case-sensitive).
struct NatsExtractor<'a>(&'a async_nats::HeaderMap);

impl Extractor for NatsExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let exact = async_nats::HeaderName::from_str(key)
            .ok()
            .and_then(|name| self.0.get(name));
        exact
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(name, _)| AsRef::<str>::as_ref(*name).eq_ignore_ascii_case(key))
                    .and_then(|(_, values)| values.first())
            })
            .map(async_nats::HeaderValue::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_ref()).collect()
    }
}

/// [`Injector`] over HTTP headers; invalid entries are skipped.
struct HttpInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HttpInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// [`Extractor`] over HTTP headers; non-UTF-8 values are treated as absent.
struct HttpExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HttpExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The W3C trace id of the current `tracing` span (32 hex digits), or `None` when there is no
/// valid OpenTelemetry context. Error answers carry it so an operator finds the trace.
pub fn current_trace_id() -> Option<String> {
    let cx = tracing::Span::current().context();
    let span_context = cx.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn nats_extractor_matches_exact_then_case_insensitive() {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Traceparent", TRACEPARENT);
        headers.insert("tracestate", "k=v");
        let extractor = NatsExtractor(&headers);
        assert_eq!(extractor.get("traceparent"), Some(TRACEPARENT));
        assert_eq!(extractor.get("tracestate"), Some("k=v"));
        assert_eq!(extractor.get("missing"), None);
        let mut keys = extractor.keys();
        keys.sort_unstable();
        assert_eq!(keys, ["Traceparent", "tracestate"]);
    }

    #[test]
    fn nats_injector_skips_invalid_entries() {
        let mut headers = async_nats::HeaderMap::new();
        let mut injector = NatsInjector(&mut headers);
        injector.set("traceparent", TRACEPARENT.to_owned());
        injector.set("bad:name", "x".to_owned());
        injector.set("tracestate", "a=b\r\nInjected: 1".to_owned());
        assert_eq!(headers.len(), 1);
        assert_eq!(
            headers.get("traceparent").map(|v| v.as_str()),
            Some(TRACEPARENT)
        );
    }

    #[test]
    fn http_injector_and_extractor_round_trip() {
        let mut headers = http::HeaderMap::new();
        HttpInjector(&mut headers).set("traceparent", TRACEPARENT.to_owned());
        HttpInjector(&mut headers).set("tracestate", "bad\nvalue".to_owned());
        let extractor = HttpExtractor(&headers);
        assert_eq!(extractor.get("TraceParent"), Some(TRACEPARENT));
        assert_eq!(extractor.get("tracestate"), None);
        assert_eq!(extractor.keys(), ["traceparent"]);
    }
}
