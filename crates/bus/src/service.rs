//! Starting a service on the bus and grouping its endpoints: every service registers with the
//! async-nats service API (so `$SRV.PING/INFO/STATS` answer) and with the same stats `data`
//! ([`crate::health::stats_data`]).

use async_nats::service::{Service, ServiceExt};

use crate::Bus;

impl Bus {
    /// Registers service `name` (its `$SRV` identity) with the endpoint health in its stats.
    pub async fn start_service(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Service, async_nats::Error> {
        self.client()
            .service_builder()
            .description(description)
            .stats_handler(crate::health::stats_data)
            .start(name, env!("CARGO_PKG_VERSION"))
            .await
    }
}

/// A service's endpoint group (`cm.v1.<service>`) with the bus its handlers answer on: a
/// handler's answer can be larger than a NATS message, and then goes through the blob store
/// ([`crate::blobs`]).
pub struct Group {
    pub(crate) inner: async_nats::service::Group,
    pub(crate) bus: Bus,
    /// The group's subject prefix, which every command registered on it must have.
    pub(crate) prefix: String,
}

impl Group {
    pub fn new(service: &Service, prefix: &str, bus: &Bus) -> Self {
        Self {
            inner: service.group(prefix),
            bus: bus.clone(),
            prefix: prefix.to_owned(),
        }
    }

    /// A raw endpoint of this group, to serve with [`crate::serve_endpoint`]; commands of the
    /// table register with [`Group::endpoint`] instead.
    pub async fn add_endpoint(
        &self,
        verb: &str,
    ) -> Result<async_nats::service::endpoint::Endpoint, async_nats::Error> {
        self.inner.endpoint(verb.to_owned()).await
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }
}
