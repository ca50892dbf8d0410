//! NATS and Postgres for `up`: started together, stopped last, and restarted like the services
//! when they exit on their own (same port, same data; the services reconnect by themselves).
//!
//! NATS keeps its JetStream store in `<data>/nats`. Postgres is a private, durable cluster (see
//! `pg_location.rs` for where) with a generated superuser password, holding one database,
//! `codex_manager`, in which the session service and the queue worker each migrate their own
//! schema, each logged in as its own role that can reach only that schema (`cm_pg::roles`,
//! passwords in `<data>/db-credentials`, set up again at every start). A `DATABASE_URL` given
//! instead is used as it is, by both. Both listen on 127.0.0.1 on free ports (or `--nats-port`).

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cm_bus::auth::{Credentials, Principal};
use cm_local_infra::bins::{nats_server_bin, pg_bin_dir};
use cm_local_infra::nats::{NatsAuth, NatsConfig, NatsServer};
use cm_local_infra::postgres::{PgCluster, PgConfig, create_database_if_missing, redact};
use cm_local_infra::user::RunAs;
use cm_pg::roles::{self, Passwords};

use super::UpArgs;
use super::console::Console;
use super::layout::Layout;
use super::pg_location::{self, PgLocation};

/// The database the services share.
const DATABASE: &str = "codex_manager";

/// Restarts of one of them that did not keep it up this long count as failures in a row.
const STEADY: Duration = Duration::from_secs(30);
/// Failures in a row after which `up` gives up.
const MAX_RESTARTS: u32 = 5;

/// The running infrastructure.
pub struct Infra {
    pub nats: NatsServer,
    /// The bus users' keys (`<data>/nats-credentials`): the server admits only them.
    pub credentials: Credentials,
    pub pg: Option<(PgCluster, PgLocation)>,
    /// The database, as the administrator (or the given `DATABASE_URL`) reaches it.
    pub database_url: String,
    /// Each service's own `DATABASE_URL` (its role's login), when `up` made the roles.
    service_urls: Vec<(&'static str, String)>,
    nats_restarts: Restarts,
    pg_restarts: Restarts,
}

/// Restarts in a row of one process.
#[derive(Debug, Default)]
struct Restarts {
    in_a_row: u32,
    last: Option<Instant>,
}

impl Restarts {
    /// Counts one more restart; an error once there were too many in a row.
    fn next(
        &mut self,
        name: &str,
        status: ExitStatus,
        log: &std::path::Path,
    ) -> anyhow::Result<Duration> {
        let now = Instant::now();
        self.in_a_row = match self.last {
            Some(last) if now.duration_since(last) < STEADY => self.in_a_row + 1,
            _ => 1,
        };
        self.last = Some(now);
        if self.in_a_row > MAX_RESTARTS {
            bail!(
                "{} ({MAX_RESTARTS} restarts in a row did not help)",
                died(name, status, log)
            );
        }
        Ok(Duration::from_millis(250) * 2u32.pow(self.in_a_row - 1))
    }
}

impl Infra {
    /// Starts NATS and Postgres concurrently and waits until both answer.
    pub async fn start(args: &UpArgs, layout: &Layout, console: &Console) -> anyhow::Result<Self> {
        let credentials = Credentials::ensure(&layout.nats_credentials)
            .context("preparing the NATS credentials")?;
        let admin_seed = std::fs::read_to_string(credentials.seed_file(Principal::Admin))
            .context("reading the NATS admin key")?;
        let nats = async {
            let started = Instant::now();
            let server = NatsServer::start(NatsConfig {
                bin: nats_server_bin(args.nats_server_bin.clone())?,
                store_dir: layout.nats_store.clone(),
                log_path: layout.log("nats"),
                port: args.nats_port,
                auth: Some(NatsAuth {
                    config_file: credentials.server_conf(),
                    admin_seed: admin_seed.trim().to_owned(),
                }),
            })
            .await
            .context("starting nats-server")?;
            console.info(&format!(
                "NATS ready at {} in {}",
                server.url(),
                secs(started.elapsed())
            ));
            anyhow::Ok(server)
        };
        let external = args.database_url.clone().filter(|u| !u.trim().is_empty());
        let pg = async {
            if external.is_some() {
                return Ok(None);
            }
            start_postgres(args, layout, console).await.map(Some)
        };
        let (nats, pg) = tokio::try_join!(nats, pg)?;
        let (database_url, service_urls) = match (&pg, external) {
            (Some((cluster, _)), _) => {
                let admin = cluster.url(DATABASE);
                let urls = service_roles(&admin, layout).await?;
                (admin, urls)
            }
            (None, Some(url)) => {
                console.info(&format!("using DATABASE_URL {}", redact(&url)));
                (url, Vec::new())
            }
            (None, None) => bail!("no database: neither a private cluster nor DATABASE_URL"),
        };
        Ok(Self {
            nats,
            credentials,
            pg,
            database_url,
            service_urls,
            nats_restarts: Restarts::default(),
            pg_restarts: Restarts::default(),
        })
    }

    /// What `service` gets as `DATABASE_URL`.
    pub fn database_url_of(&self, service: &str) -> &str {
        self.service_urls
            .iter()
            .find(|(s, _)| *s == service)
            .map_or(&self.database_url, |(_, url)| url)
    }

    /// Restarts NATS or Postgres if it has exited on its own (after a back-off growing from
    /// 250 ms); an error once one keeps exiting.
    pub async fn check(&mut self, console: &Console) -> anyhow::Result<()> {
        if let Some(status) = self.nats.exited() {
            loop {
                let pause = self
                    .nats_restarts
                    .next("nats-server", status, self.nats.log_path())?;
                console.alert(&format!(
                    "nats-server exited unexpectedly ({status}); restarting it in {} with the \
                     same store (the services reconnect)",
                    secs(pause)
                ));
                tokio::time::sleep(pause).await;
                match self.nats.restart().await {
                    Ok(()) => break console.info(&format!("NATS back at {}", self.nats.url())),
                    Err(e) => console.alert(&format!("nats-server did not restart: {e:#}")),
                }
            }
        }
        if let Some((cluster, _)) = &mut self.pg
            && let Some(status) = cluster.exited()
        {
            loop {
                let pause = self
                    .pg_restarts
                    .next("postgres", status, cluster.log_path())?;
                console.alert(&format!(
                    "postgres exited unexpectedly ({status}); restarting it in {} with the same \
                     data (commands answer 503 meanwhile; events are applied once it is back)",
                    secs(pause)
                ));
                tokio::time::sleep(pause).await;
                match cluster.restart().await {
                    Ok(()) => {
                        break console.info(&format!("Postgres back on port {}", cluster.port()));
                    }
                    Err(e) => console.alert(&format!("postgres did not restart: {e:#}")),
                }
            }
        }
        Ok(())
    }

    /// Fast shutdown of Postgres, then NATS. Errors are printed, not returned: everything
    /// must get its chance to stop.
    pub async fn stop(mut self) {
        if let Some((cluster, _)) = &mut self.pg
            && let Err(e) = cluster.stop().await
        {
            eprintln!("stopping postgres: {e:#}");
        }
        if let Err(e) = self.nats.stop().await {
            eprintln!("stopping nats-server: {e:#}");
        }
    }
}

async fn start_postgres(
    args: &UpArgs,
    layout: &Layout,
    console: &Console,
) -> anyhow::Result<(PgCluster, PgLocation)> {
    let started = Instant::now();
    let run_as = RunAs::postgres_if_root()?;
    let location = pg_location::choose(&layout.postgres, run_as)?;
    if location.elsewhere {
        console.alert(&format!(
            "the Postgres cluster is in {}, outside the data directory ({} links to it, as \
             earlier versions did): removing {} would keep the database. To move it, stop `up`, \
             use a data directory the postgres user can reach (as root the default is {}) and \
             move {} to <data>/postgres in place of the link",
            location.root.display(),
            layout.postgres.display(),
            layout.data.display(),
            crate::paths::ROOT_DATA_DIR,
            location.root.display(),
        ));
    }
    let cluster = PgCluster::start(PgConfig {
        bin_dir: pg_bin_dir(args.pg_bin.clone())?,
        root: location.root.clone(),
        log_path: layout.log("postgres"),
        port: None,
        run_as,
        durable: true,
        password: true,
    })
    .await
    .context("starting postgres")?;
    let created = create_database_if_missing(&cluster.url("postgres"), DATABASE).await?;
    console.info(&format!(
        "Postgres ready on port {} in {}{}{}",
        cluster.port(),
        secs(started.elapsed()),
        if cluster.was_initialized() {
            " (new cluster)"
        } else {
            ""
        },
        if created {
            ", database codex_manager created"
        } else {
            ""
        },
    ));
    Ok((cluster, location))
}

/// Creates or repairs the services' roles on the private cluster; their URLs.
async fn service_roles(
    admin_url: &str,
    layout: &Layout,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let passwords = Passwords::ensure(&layout.db_credentials)?;
    roles::apply(admin_url, &passwords).await?;
    roles::ROLES
        .iter()
        .map(|r| Ok((r.service, roles::url_for(admin_url, r, passwords.of(r))?)))
        .collect()
}

fn died(name: &str, status: ExitStatus, log: &std::path::Path) -> String {
    format!(
        "{name} exited unexpectedly ({status}); {}",
        cm_local_infra::process::log_tail(log)
    )
}

/// `1.23 s`
pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
