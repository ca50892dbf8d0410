//! What every session command handler gets: the bus, the pool, and how long the runtime may take.

use cm_bus::Bus;
use deadpool_postgres::Pool;

pub struct Ctx {
    pub bus: Bus,
    pub pool: Pool,
    pub runtime_timeout: std::time::Duration,
}
