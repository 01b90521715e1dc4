//! First-run setup, login and logout.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::session::{LIFETIME, PRE_COOKIE};
use super::web::{page, with_cookie, Chrome, Ctx, Form};
use crate::admin_password::{self, MIN_CHARS};
use crate::keys;
use crate::web::session::{pre_csrf, same, set_cookie};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    csrf: String,
    error: Option<String>,
    min_chars: usize,
}

/// The pre-login CSRF nonce from the `pi_pre` cookie, or a fresh one plus the cookie to set.
fn pre_nonce(ctx: &Ctx) -> (String, Option<String>) {
    match ctx.cookie(PRE_COOKIE).filter(|n| keys::well_formed(n)) {
        Some(n) => (n.to_string(), None),
        None => {
            let n = keys::random_token();
            let c = set_cookie(
                PRE_COOKIE,
                &n,
                ctx.cookie_path(),
                LIFETIME.as_secs(),
                ctx.secure(),
            );
            (n, Some(c))
        }
    }
}

/// Renders a pre-login form page with its CSRF token (and cookie when new).
fn pre_page(ctx: &Ctx, status: StatusCode, error: Option<String>, setup: bool) -> Response {
    let (nonce, cookie) = pre_nonce(ctx);
    let csrf = pre_csrf(&ctx.state.secret, &nonce);
    let chrome = ctx.chrome_out();
    let resp = if setup {
        page(
            status,
            &SetupPage {
                chrome,
                csrf,
                error,
                min_chars: MIN_CHARS,
            },
        )
    } else {
        page(
            status,
            &LoginPage {
                chrome,
                csrf,
                error,
            },
        )
    };
    match cookie {
        Some(c) => with_cookie(resp, &c),
        None => resp,
    }
}

fn pre_csrf_ok(ctx: &Ctx, form: &Form) -> bool {
    ctx.cookie(PRE_COOKIE)
        .filter(|n| keys::well_formed(n))
        .is_some_and(|n| {
            same(
                form.get("csrf").as_bytes(),
                pre_csrf(&ctx.state.secret, n).as_bytes(),
            )
        })
}

const STALE_FORM: &str =
    "This form is stale or did not come from this panel (CSRF check failed). Try again.";

fn rate_limited(ctx: &Ctx) -> Option<String> {
    ctx.state.admin_failures.blocked_for(ctx.ip).map(|wait| {
        format!(
            "Too many failed attempts from your address. Try again in {} minute{}.",
            wait.div_ceil(60),
            if wait.div_ceil(60) == 1 { "" } else { "s" }
        )
    })
}

/// Opens a session and sends the browser to the overview.
fn logged_in(ctx: &Ctx) -> Response {
    let sid = ctx.state.sessions.create();
    let resp = with_cookie(
        ctx.redirect("/admin"),
        &ctx.state.sessions.set_cookie(&sid, ctx.secure()),
    );
    with_cookie(
        resp,
        &set_cookie(PRE_COOKIE, "", ctx.cookie_path(), 0, ctx.secure()),
    )
}

pub async fn login_page(ctx: Ctx) -> Response {
    match ctx.password_is_set().await {
        Err(r) => r,
        Ok(false) => ctx.redirect("/admin/setup"),
        Ok(true) => {
            let live = ctx.state.sessions.resolve(ctx.cookies.as_deref()).is_some();
            if live {
                ctx.redirect("/admin")
            } else {
                pre_page(&ctx, StatusCode::OK, None, false)
            }
        }
    }
}

pub async fn login(ctx: Ctx, form: Form) -> Response {
    match ctx.password_is_set().await {
        Err(r) => return r,
        Ok(false) => return ctx.redirect("/admin/setup"),
        Ok(true) => {}
    }
    if let Some(msg) = rate_limited(&ctx) {
        return pre_page(&ctx, StatusCode::TOO_MANY_REQUESTS, Some(msg), false);
    }
    if !pre_csrf_ok(&ctx, &form) {
        return pre_page(&ctx, StatusCode::FORBIDDEN, Some(STALE_FORM.into()), false);
    }
    let Ok(attempt) = ctx.state.admin_failures.attempt(ctx.ip) else {
        let msg = rate_limited(&ctx).unwrap_or_default();
        return pre_page(&ctx, StatusCode::TOO_MANY_REQUESTS, Some(msg), false);
    };
    let phc = match ctx.state.db(admin_password::stored_hash).await {
        Ok(phc) => phc,
        Err(_) => return ctx.fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
    };
    let password = form.get("password").to_string();
    let ok = match phc {
        Some(phc) => crate::web::password::verify(phc, password).await,
        None => false,
    };
    if !ok {
        tracing::warn!(ip = %ctx.ip, "failed admin panel login");
        let msg = rate_limited(&ctx).unwrap_or_else(|| "Wrong password.".into());
        return pre_page(&ctx, StatusCode::UNAUTHORIZED, Some(msg), false);
    }
    attempt.succeeded();
    tracing::info!(ip = %ctx.ip, "admin logged in to the panel");
    logged_in(&ctx)
}

pub async fn logout(ctx: Ctx, form: Form) -> Response {
    if let Some(sid) = ctx.cookie(ctx.state.sessions.config().cookie) {
        match ctx.state.sessions.csrf_of(sid) {
            Some(csrf) if !same(form.get("csrf").as_bytes(), csrf.as_bytes()) => {
                return ctx.fail(StatusCode::FORBIDDEN, STALE_FORM);
            }
            _ => ctx.state.sessions.remove(sid),
        }
    }
    with_cookie(
        ctx.redirect("/admin/login"),
        &ctx.state.sessions.clear_cookie(ctx.secure()),
    )
}

pub async fn setup_page(ctx: Ctx) -> Response {
    match ctx.password_is_set().await {
        Err(r) => r,
        Ok(true) => ctx.redirect("/admin/login"),
        Ok(false) => pre_page(&ctx, StatusCode::OK, None, true),
    }
}

pub async fn setup(ctx: Ctx, form: Form) -> Response {
    match ctx.password_is_set().await {
        Err(r) => return r,
        // Claimed already: the token is spent, whatever was sent.
        Ok(true) => return ctx.redirect("/admin/login"),
        Ok(false) => {}
    }
    let refuse = |status, msg: &str| pre_page(&ctx, status, Some(msg.to_string()), true);
    if let Some(msg) = rate_limited(&ctx) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, &msg);
    }
    if !pre_csrf_ok(&ctx, &form) {
        return refuse(StatusCode::FORBIDDEN, STALE_FORM);
    }
    if !ctx.state.setup_token.matches(form.get("token")) {
        ctx.state.admin_failures.failed(ctx.ip);
        tracing::warn!(ip = %ctx.ip, "wrong setup token on the first-run form");
        return refuse(
            StatusCode::FORBIDDEN,
            "Wrong setup token. Copy it from the server's log (the line that says \"one-time setup token\").",
        );
    }
    let password = form.get("password").to_string();
    if password.chars().count() < MIN_CHARS {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("The password must be at least {MIN_CHARS} characters."),
        );
    }
    if password != form.get("confirm") {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The two passwords differ.",
        );
    }
    let set = ctx
        .state
        .db(move |s| {
            admin_password::set(s, &password)
                .map_err(|e| crate::store::StoreError::Invalid(e.to_string()))
        })
        .await;
    if set.is_err() {
        return ctx.fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The password could not be saved.",
        );
    }
    ctx.state.setup_token.clear();
    ctx.state.admin_failures.succeeded(ctx.ip);
    tracing::info!(ip = %ctx.ip, "admin password set through the first-run form");
    logged_in(&ctx)
}
