//! The shared harness of the integration tests (tests/it) and the benches:
//! the real server binary on 127.0.0.1 (`server`), the client against fake
//! *arr apps (`client`, `fake_arr`, `synthetic` libraries of many files), the
//! torrent creator (`create`), a browser-like panel session (`panel`, `cdp`
//! for headless Chromium), a member's client with its dashboard (`dashboard`),
//! a private mariadbd (`mariadb`) and redis-server (`redis`), raw sockets
//! (`sockets`) and `/proc` readers (`procstat`).

pub mod catalog;
pub mod cdp;
pub mod client;
pub mod create;
pub mod dashboard;
pub mod fake_arr;
pub mod mariadb;
pub mod panel;
pub mod procstat;
pub mod redis;
pub mod server;
pub mod sockets;
pub mod synthetic;

pub use server::*;
