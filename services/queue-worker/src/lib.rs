//! cm-queue-worker
