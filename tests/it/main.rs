//! Every integration test in one binary: one link instead of a test crate
//! per file. The harness is the testkit crate (testkit/), shared with the
//! benches.

use testkit as harness;

mod admin_cli;
mod architecture;
mod catalog_surfaces;
mod client_api;
mod client_library;
mod client_watch;
mod create_cache;
mod create_errors;
mod create_mktorrent;
mod create_verify;
mod dashboard_browser;
mod dashboard_http;
mod download_announces;
mod faults;
mod hostile_input;
#[cfg(all(feature = "mysql", feature = "redis"))]
mod instances;
mod key_card;
#[cfg(feature = "mysql")]
mod legacy_import;
mod metrics;
mod mysql_store;
mod packaging;
mod panel_browser;
mod panel_dead;
mod panel_login;
mod panel_pages;
mod panel_swarm;
mod parser_properties;
mod qbittorrent;
mod seeder_peers;
mod settings_names;
mod torznab_api;
mod tracker_http;
mod tracker_libtorrent;
mod tracker_udp;
mod url_base;
