//! cm-session
