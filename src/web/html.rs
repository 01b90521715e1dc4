//! HTML responses every page surface shares (the admin panel, the client's
//! dashboard): rendered askama templates, redirects and cookies, all with the
//! same security headers.

use std::collections::HashMap;

use askama::Template;
use warp::http::header::{self, HeaderValue};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Rejection, Reply};

/// Headers every page carries: no caching (pages may show keys once),
/// no framing, no referrer (member links can hold an API key), and a CSP
/// that allows only our own stylesheet and script (which may re-read our pages).
fn harden(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, max-age=0"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

/// One entry of a surface's menu.
pub struct MenuItem {
    /// Matched against `Chrome::nav` to mark the current page.
    pub key: &'static str,
    /// Under `Chrome::base`.
    pub path: &'static str,
    pub label: &'static str,
}

/// The frame every page of a surface shares (`templates/base.html`): the
/// site's name, where its links start, its menu and the logout form's token.
pub struct Chrome {
    pub site: String,
    /// URL_BASE: every link, form action and asset of a page starts with it.
    pub base: String,
    /// The surface's root under `base` (`/admin`, `/dashboard`).
    pub home: &'static str,
    /// The surface's script under `/static/`.
    pub script: &'static str,
    pub menu: &'static [MenuItem],
    pub csrf: String,
    pub nav: &'static str,
    pub logged_in: bool,
}

pub fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut resp = match t.render() {
        Ok(body) => warp::reply::with_status(warp::reply::html(body), status).into_response(),
        Err(e) => {
            tracing::error!("template failed: {e}");
            warp::reply::with_status("page rendering failed", StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
    };
    harden(&mut resp);
    resp
}

/// A JSON answer with the pages' headers (for their own scripts).
pub fn json<T: serde::Serialize>(v: &T) -> Response {
    let mut resp = warp::reply::json(v).into_response();
    harden(&mut resp);
    resp
}

pub fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    harden(&mut resp);
    resp
}

pub fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A parsed `application/x-www-form-urlencoded` body.
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }
}

/// warp's own refusals (no route, wrong method, a form too large) as a status
/// and a sentence for an HTML page.
pub fn rejection(err: &Rejection) -> (StatusCode, &'static str) {
    // A route that matched the path and method but refused the request says
    // more than a sibling route's 405, which warp keeps in the same rejection.
    if err.is_not_found() {
        (StatusCode::NOT_FOUND, "There is no such page.")
    } else if err.find::<warp::reject::PayloadTooLarge>().is_some() {
        (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.")
    } else if err.find::<warp::reject::LengthRequired>().is_some() {
        (StatusCode::LENGTH_REQUIRED, "The form had no length.")
    } else if err.find::<warp::reject::InvalidHeader>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "A header of the request is not valid.",
        )
    } else if err.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "That method is not allowed here.",
        )
    } else {
        (StatusCode::BAD_REQUEST, "The request was not understood.")
    }
}
