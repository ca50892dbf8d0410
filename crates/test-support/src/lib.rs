//! cm-test-support
