//! Child processes that cannot outlive the test process: [`ChildProcess`] from
//! `cm-local-infra`, which spawns every child with `PR_SET_PDEATHSIG = SIGKILL` from one
//! long-lived spawner thread and kills and reaps it on drop. Stdout and stderr go to a log file,
//! whose tail is quoted in every error about the child.

pub use cm_local_infra::bins::{find_in_path, is_executable};
pub use cm_local_infra::process::{ChildProcess, log_tail};
