//! Fresh databases on a server we do not own (`DATABASE_URL`), dropped again on drop.
//!
//! Drop runs `DROP DATABASE ... WITH (FORCE)` (Postgres 13+, ends open sessions) on a short-lived
//! thread with its own runtime, because `Drop` cannot await and may run inside a runtime.

use std::sync::Mutex;

use anyhow::Context;

use cm_local_infra::postgres::{connect, create_database, timeout};

use super::{unique_db_name, with_database};

/// Databases created on the server at `admin_url`; the first is the test's own.
#[derive(Debug)]
pub(super) struct External {
    admin_url: String,
    url: String,
    created: Mutex<Vec<String>>,
}

impl External {
    pub(super) async fn start(admin_url: &str) -> anyhow::Result<Self> {
        let name = unique_db_name("cm_test");
        let url = with_database(admin_url, &name)?;
        create_database(admin_url, &name)
            .await
            .with_context(|| format!("on DATABASE_URL {admin_url}"))?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url,
            created: Mutex::new(vec![name]),
        })
    }

    pub(super) fn url(&self) -> String {
        self.url.clone()
    }

    pub(super) async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let url = with_database(&self.admin_url, name)?;
        create_database(&self.admin_url, name)
            .await
            .with_context(|| format!("on DATABASE_URL {}", self.admin_url))?;
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.to_owned());
        Ok(url)
    }
}

impl Drop for External {
    fn drop(&mut self) {
        let names = std::mem::take(self.created.get_mut().unwrap_or_else(|e| e.into_inner()));
        if names.is_empty() {
            return;
        }
        let admin_url = self.admin_url.clone();
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_databases(&admin_url, &names))
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "dropping test databases"),
            Err(_) => tracing::warn!("dropping test databases panicked"),
        }
    }
}

async fn drop_databases(admin_url: &str, names: &[String]) -> anyhow::Result<()> {
    let client = connect(admin_url).await?;
    for name in names {
        timeout(client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
            .await
            .with_context(|| format!("dropping database {name}"))?;
    }
    Ok(())
}
