//! What several roles share and no role owns: catalog events, swarm figures
//! and peer counts, member counters and activity metrics, the clock. It
//! imports nothing of `server`, `tracker`, `torznab`, `panel` or `client`.

pub mod activity;
pub mod catalog;
pub mod clock;
pub mod counters;
pub mod swarm;
