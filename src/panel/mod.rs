//! The admin web panel (`/admin`) and the members' torrent pages (`/view/{infohash}`):
//! server-rendered askama templates from `templates/`, assets from `static/`,
//! both compiled into the binary so it needs no files beside it.

// Handlers return `Err(Response)` for "send this page instead" (a redirect to
// the login, an error page); boxing those responses would buy nothing here.
#![allow(clippy::result_large_err)]

mod auth;
pub mod listing;
mod member;
mod overview;
mod routes;
pub mod session;
mod torrents;
mod users;
mod view;
mod web;

pub use routes::routes;
pub use web::admin_session_ok;
