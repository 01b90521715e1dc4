//! The server's application layer, shared by its surfaces (client API, admin
//! API, Torznab, admin panel, tracker routes): the state every handler gets
//! and the settings it was built from. `server` builds it and wires the surfaces.

pub mod catalog;
pub mod config;
pub mod state;
