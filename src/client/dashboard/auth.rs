//! Login and logout with the qBittorrent API's user (`API_USERNAME` /
//! `API_PASSWORD`). Before there is a session, the form's CSRF token is an
//! HMAC of a nonce in a cookie, as on the admin panel.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::{Chrome, Ctx, PATH, PRE_COOKIE, STALE_FORM};
use crate::keys;
use crate::web::html::{page, redirect, with_cookie, Form};
use crate::web::session::{pre_csrf, same, set_cookie};

/// The login form's nonce cookie lives this long.
const PRE_LIFETIME: u64 = 3600;

#[derive(Template)]
#[template(path = "dashboard_login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    error: Option<String>,
}

fn form_page(ctx: &Ctx, status: StatusCode, error: Option<String>) -> Response {
    let (nonce, fresh) = match ctx.cookie(PRE_COOKIE).filter(|n| keys::well_formed(n)) {
        Some(n) => (n.to_string(), None),
        None => {
            let n = keys::random_token();
            let c = set_cookie(PRE_COOKIE, &n, PATH, PRE_LIFETIME, ctx.https);
            (n, Some(c))
        }
    };
    let resp = page(
        status,
        &LoginPage {
            chrome: super::chrome_out(),
            csrf: pre_csrf(&ctx.dash.secret, &nonce),
            error,
        },
    );
    match fresh {
        Some(c) => with_cookie(resp, &c),
        None => resp,
    }
}

fn rate_limited(ctx: &Ctx) -> Option<String> {
    ctx.dash
        .api
        .limiter
        .blocked_for(ctx.ip)
        .map(|wait| format!("Too many failed attempts from your address. Try again in {wait} s."))
}

pub async fn login_page(ctx: Ctx) -> Response {
    if ctx.dash.sessions.resolve(ctx.cookies.as_deref()).is_some() {
        return redirect(PATH);
    }
    form_page(&ctx, StatusCode::OK, None)
}

pub async fn login(ctx: Ctx, form: Form) -> Response {
    if let Some(msg) = rate_limited(&ctx) {
        return form_page(&ctx, StatusCode::TOO_MANY_REQUESTS, Some(msg));
    }
    let csrf_ok = ctx
        .cookie(PRE_COOKIE)
        .filter(|n| keys::well_formed(n))
        .is_some_and(|n| {
            same(
                form.get("csrf").as_bytes(),
                pre_csrf(&ctx.dash.secret, n).as_bytes(),
            )
        });
    if !csrf_ok {
        return form_page(&ctx, StatusCode::FORBIDDEN, Some(STALE_FORM.into()));
    }
    let (user, pass) = (
        form.get("username").to_string(),
        form.get("password").to_string(),
    );
    // Counted before the check (web::password bounds the checks running at once).
    let attempt = match ctx.dash.api.limiter.attempt(ctx.ip) {
        Ok(a) => a,
        Err(wait) => {
            let msg = format!("Too many failed attempts from your address. Try again in {wait} s.");
            return form_page(&ctx, StatusCode::TOO_MANY_REQUESTS, Some(msg));
        }
    };
    if !ctx.dash.api.creds.check(&user, &pass).await {
        drop(attempt);
        tracing::warn!(ip = %ctx.ip, "dashboard: failed login");
        let msg = rate_limited(&ctx).unwrap_or_else(|| "Wrong user name or password.".into());
        return form_page(&ctx, StatusCode::UNAUTHORIZED, Some(msg));
    }
    attempt.succeeded();
    tracing::info!(ip = %ctx.ip, "dashboard: logged in");
    let sid = ctx.dash.sessions.create();
    let resp = with_cookie(
        redirect(PATH),
        &ctx.dash.sessions.set_cookie(&sid, ctx.https),
    );
    with_cookie(resp, &set_cookie(PRE_COOKIE, "", PATH, 0, ctx.https))
}

pub async fn logout(ctx: Ctx, form: Form) -> Response {
    if let Some((sid, csrf)) = ctx.dash.sessions.resolve(ctx.cookies.as_deref()) {
        if !same(form.get("csrf").as_bytes(), csrf.as_bytes()) {
            return ctx.fail(StatusCode::FORBIDDEN, STALE_FORM);
        }
        ctx.dash.sessions.remove(sid);
    }
    with_cookie(
        redirect("/dashboard/login"),
        &ctx.dash.sessions.clear_cookie(ctx.https),
    )
}
