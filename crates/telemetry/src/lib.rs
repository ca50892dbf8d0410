//! cm-telemetry
