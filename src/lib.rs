//! PrivateIndexer: a private BitTorrent swarm for friends' media libraries.

pub mod admin_cli;
mod admin_migrate;
pub mod admin_password;
pub mod app;
pub mod bencode;
pub mod categories;
pub mod cli;
pub mod client;
pub mod core;
pub mod create;
pub mod display_text;
pub mod healthcheck;
pub mod key_card;
pub mod keys;
pub mod legacy_env;
pub mod logging;
pub mod members;
pub mod metainfo;
pub mod metrics;
pub mod panel;
pub mod server;
pub mod store;
pub mod torznab;
pub mod tracker;
pub mod web;
pub mod wire;
