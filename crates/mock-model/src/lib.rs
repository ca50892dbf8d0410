//! cm-mock-model
