//! cm-runtime-bridge
