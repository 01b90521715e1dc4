//! The integration tests' harness: the real server binary on 127.0.0.1
//! (`server`), the client against fake *arr apps (`client`, `fake_arr`), the
//! torrent creator (`create`), a browser-like panel session (`panel`, `cdp`
//! for headless Chromium), a member's client with its dashboard (`dashboard`),
//! and a private mariadbd (`mariadb`, feature `mysql`).

pub mod cdp;
pub mod client;
pub mod create;
pub mod dashboard;
pub mod fake_arr;
#[cfg(feature = "mysql")]
pub mod mariadb;
pub mod panel;
#[cfg(feature = "redis")]
pub mod redis;
pub mod server;
pub mod sockets;

pub use server::*;
