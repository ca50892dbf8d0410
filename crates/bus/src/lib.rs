//! cm-bus
