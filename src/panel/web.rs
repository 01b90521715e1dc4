//! What every panel handler shares: the request context, the session check,
//! form parsing, and HTML responses with the panel's security headers.

use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::app::state::AppState;
use crate::web::html::MenuItem;
pub use crate::web::html::{json, page, redirect, with_cookie, Chrome, Form};
use crate::web::session::{cookie, same};

pub struct Ctx {
    pub state: Arc<AppState>,
    pub cookies: Option<String>,
    pub ip: IpAddr,
    /// The browser reached us over https (a trusted proxy's `X-Forwarded-Proto`).
    pub https: bool,
}

const MENU: &[MenuItem] = &[
    MenuItem {
        key: "overview",
        path: "/admin",
        label: "Overview",
    },
    MenuItem {
        key: "users",
        path: "/admin/users",
        label: "Members",
    },
    MenuItem {
        key: "torrents",
        path: "/admin/torrents",
        label: "Torrents",
    },
];

/// The panel's frame; `csrf` empty and `nav` "" when logged out.
fn chrome(site: &str, base: &str, csrf: String, nav: &'static str) -> Chrome {
    Chrome {
        site: site.to_string(),
        base: base.to_string(),
        home: "/admin",
        script: "panel.js",
        menu: MENU,
        logged_in: !csrf.is_empty(),
        csrf,
        nav,
    }
}

impl Ctx {
    /// Cookies get `Secure` only on requests that came over https, so the
    /// panel also works on a plain `http://tower:8081`.
    pub fn secure(&self) -> bool {
        self.https
    }

    /// Where the panel's cookies live: URL_BASE + `/admin`.
    pub fn cookie_path(&self) -> &str {
        &self.state.sessions.config().path
    }

    /// A 303 to a panel path (given without URL_BASE).
    pub fn redirect(&self, path: &str) -> Response {
        redirect(&format!("{}{path}", self.state.config.url_base))
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie(self.cookies.as_deref(), name)
    }

    pub fn chrome_out(&self) -> Chrome {
        let c = &self.state.config;
        chrome(&c.site_name, &c.url_base, String::new(), "")
    }

    pub async fn password_is_set(&self) -> Result<bool, Response> {
        self.state
            .db(crate::admin_password::is_set)
            .await
            .map_err(|_| self.fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."))
    }

    /// An error page for this request.
    pub fn fail(&self, status: StatusCode, message: &str) -> Response {
        let c = &self.state.config;
        error_page(&c.site_name, &c.url_base, status, message, "/admin")
    }
}

/// A logged-in admin request.
pub struct Admin {
    pub ctx: Ctx,
    pub csrf: String,
}

impl Admin {
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        let c = &self.ctx.state.config;
        chrome(&c.site_name, &c.url_base, self.csrf.clone(), nav)
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, form: &Form) -> Result<(), Response> {
        if same(form.get("csrf").as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.ctx.fail(
                StatusCode::FORBIDDEN,
                "This form is stale or did not come from this panel (CSRF check failed). Reload the page and try again.",
            ))
        }
    }
}

/// Resolves the session cookie, or sends the browser to log in (or to the
/// first-run setup while no admin password exists).
pub async fn admin(ctx: Ctx) -> Result<Admin, Response> {
    if let Some((_, csrf)) = ctx.state.sessions.resolve(ctx.cookies.as_deref()) {
        return Ok(Admin { ctx, csrf });
    }
    Err(ctx.redirect(if ctx.password_is_set().await? {
        "/admin/login"
    } else {
        "/admin/setup"
    }))
}

/// For the JSON admin API: a live panel session; requests that change
/// something must also carry the session's CSRF token in `X-CSRF-Token`.
pub fn admin_session_ok(
    state: &AppState,
    cookies: Option<&str>,
    csrf_header: Option<&str>,
    read_only: bool,
) -> bool {
    let Some((_, csrf)) = state.sessions.resolve(cookies) else {
        return false;
    };
    read_only || csrf_header.is_some_and(|h| same(h.as_bytes(), csrf.as_bytes()))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
    back: &'a str,
}

/// An error page; `back` is a panel path without URL_BASE (empty: no link).
pub fn error_page(
    site: &str,
    base: &str,
    status: StatusCode,
    message: &str,
    back: &str,
) -> Response {
    page(
        status,
        &ErrorPage {
            chrome: chrome(site, base, String::new(), ""),
            heading: status.canonical_reason().unwrap_or("Error"),
            message,
            back,
        },
    )
}
