//! The integration tests' harness: the real server binary on 127.0.0.1
//! (`server`), the client against fake *arr apps (`client`, `fake_arr`), the
//! torrent creator (`create`), and a browser-like panel session (`panel`,
//! `cdp` for headless Chromium).

pub mod cdp;
pub mod client;
pub mod create;
pub mod fake_arr;
pub mod panel;
pub mod server;

pub use server::*;
