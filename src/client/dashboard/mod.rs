//! The member's dashboard on `CLIENT_BIND` (`/dashboard`, `/` redirects
//! there), beside the qBittorrent API and with its login: what the client
//! seeds and downloads, the scanner, and a few actions behind confirmation
//! pages. Server-rendered askama pages with the panel's stylesheet, every form
//! carrying a CSRF token; it works without JavaScript.

// Handlers return `Err(Response)` for "send this page instead" (the login,
// an error page); boxing those responses would buy nothing here.
#![allow(clippy::result_large_err)]

mod actions;
mod auth;
pub mod list;
mod overview;
mod peers;
mod routes;
mod scanner;
pub mod torrents;

use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::client::qbittorrent::Api;
use crate::client::scan_board::ScanBoard;
use crate::client::status::ClientStatus;
use crate::web::client_ip::TrustedProxies;
pub use crate::web::html::Chrome;
use crate::web::html::{page, redirect, Form, MenuItem};
use crate::web::session::{same, SessionConfig, SessionStore};

pub use routes::routes;

/// Where the dashboard lives; its cookies are scoped to it.
pub const PATH: &str = "/dashboard";
/// The session cookie (the qBittorrent API's is `SID`).
const COOKIE: &str = "pi_dash";
/// The cookie holding the nonce the login form's CSRF token is made from.
const PRE_COOKIE: &str = "pi_dash_pre";

pub struct Dashboard {
    /// The qBittorrent API: its credentials, and its login limiter, so that
    /// guesses through either surface count together.
    pub api: Arc<Api>,
    pub status: Arc<ClientStatus>,
    pub scan: Arc<ScanBoard>,
    pub sessions: SessionStore,
    /// Peer counters between two looks at a torrent's page, for their speeds.
    rates: peers::PeerRates,
    /// Signs the login form's CSRF token; in memory, new at every start.
    secret: [u8; 32],
    /// Whose `X-Forwarded-Proto` (and client address) is believed.
    proxies: TrustedProxies,
}

impl Dashboard {
    pub fn new(
        api: Arc<Api>,
        status: Arc<ClientStatus>,
        scan: Arc<ScanBoard>,
        idle: std::time::Duration,
        proxies: TrustedProxies,
    ) -> Dashboard {
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        Dashboard {
            api,
            status,
            scan,
            sessions: SessionStore::new(SessionConfig {
                cookie: COOKIE,
                path: PATH.to_string(),
                idle,
                max_sessions: 256,
            }),
            rates: Default::default(),
            secret,
            proxies,
        }
    }
}

/// One request as the handlers see it.
pub struct Ctx {
    pub dash: Arc<Dashboard>,
    pub cookies: Option<String>,
    pub ip: IpAddr,
    /// Came over https (through a trusted proxy: this port speaks plain http).
    pub https: bool,
}

const MENU: &[MenuItem] = &[
    MenuItem {
        key: "overview",
        path: "/dashboard",
        label: "Overview",
    },
    MenuItem {
        key: "torrents",
        path: "/dashboard/torrents",
        label: "Torrents",
    },
    MenuItem {
        key: "scanner",
        path: "/dashboard/scanner",
        label: "Scanner",
    },
];

/// The frame of a logged-out page.
pub fn chrome_out() -> Chrome {
    chrome(String::new(), "")
}

/// The dashboard's frame; `csrf` empty and `nav` "" when logged out.
pub(super) fn chrome(csrf: String, nav: &'static str) -> Chrome {
    Chrome {
        site: "PrivateIndexer client".into(),
        base: String::new(),
        home: PATH,
        script: "dashboard.js",
        menu: MENU,
        logged_in: !csrf.is_empty(),
        csrf,
        nav,
    }
}

impl Ctx {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        crate::web::session::cookie(self.cookies.as_deref(), name)
    }

    pub fn fail(&self, status: StatusCode, message: &str) -> Response {
        message_page(status, chrome_out(), message)
    }
}

/// A logged-in request.
pub struct Member {
    pub ctx: Ctx,
    pub csrf: String,
}

impl Member {
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        chrome(self.csrf.clone(), nav)
    }

    pub fn check_csrf(&self, form: &Form) -> Result<(), Response> {
        if same(form.get("csrf").as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.ctx.fail(StatusCode::FORBIDDEN, STALE_FORM))
        }
    }

    pub fn fail(&self, status: StatusCode, message: &str) -> Response {
        message_page(status, self.chrome(""), message)
    }
}

pub const STALE_FORM: &str =
    "This form is stale or did not come from this dashboard (CSRF check failed). Reload the page and try again.";

/// The live session, or the browser goes to the login form.
pub fn member(ctx: Ctx) -> Result<Member, Response> {
    match ctx.dash.sessions.resolve(ctx.cookies.as_deref()) {
        Some((_, csrf)) => Ok(Member { ctx, csrf }),
        None => Err(redirect("/dashboard/login")),
    }
}

#[derive(Template)]
#[template(path = "dashboard_message.html")]
struct MessagePage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
}

pub fn message_page(status: StatusCode, chrome: Chrome, message: &str) -> Response {
    page(
        status,
        &MessagePage {
            chrome,
            heading: status.canonical_reason().unwrap_or("Error"),
            message,
        },
    )
}
