//! cm-gateway
