//! Members: list with counters, create, disable/enable, rotate keys, delete.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::web::{admin, page, Admin, Chrome, Ctx, Form};
use crate::app::catalog::MemberChange;
use crate::app::state::AppState;
use crate::core::clock::now;
use crate::members::{IssuedKeys, MemberError};
use crate::web::filters::query_param;
use crate::web::format;

pub struct Row {
    pub id: u64,
    pub label: String,
    pub enabled: bool,
    pub uploads: u64,
    pub grabs: u64,
    pub popularity: u64,
    pub uploaded: String,
    pub downloaded: String,
    pub ratio: String,
    pub seeding: String,
    pub leeching: String,
    /// Whether the server reached the member's torrent port, and when.
    pub port: String,
    pub port_ok: Option<bool>,
    pub last_seen: String,
}

pub struct Issued {
    pub heading: &'static str,
    pub k: crate::key_card::KeyCard,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<Row>,
    issued: Option<Issued>,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// Seeding/leeching counts of a member, from whichever live part tracks peers.
fn member_peers(state: &AppState, id: u64) -> Option<(u64, u64)> {
    state.listeners.iter().find_map(|l| l.member_peers(id))
}

async fn render(
    a: &Admin,
    status: StatusCode,
    issued: Option<Issued>,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let users = match a.ctx.state.db(|s| s.users()).await {
        Ok(u) => u,
        Err(_) => {
            return a
                .ctx
                .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed.")
        }
    };
    let now = now();
    let rows = users
        .iter()
        .map(|u| {
            let peers = member_peers(&a.ctx.state, u.id);
            let probe = a
                .ctx
                .state
                .listeners
                .iter()
                .find_map(|l| l.member_reachability(u.id));
            let show = |v: Option<u64>| v.map_or_else(|| "—".to_string(), |n| n.to_string());
            Row {
                id: u.id,
                label: u.label.clone(),
                enabled: u.enabled,
                uploads: u.uploads,
                grabs: u.grabs,
                popularity: u.popularity,
                uploaded: format::size(u.uploaded),
                downloaded: format::size(u.downloaded),
                ratio: format::ratio(u.uploaded, u.downloaded),
                seeding: show(peers.map(|p| p.0)),
                leeching: show(peers.map(|p| p.1)),
                port: probe.as_ref().map_or_else(
                    || "not probed".to_string(),
                    |p| {
                        format!(
                            "{} ({}, {})",
                            p.address,
                            p.detail,
                            format::ago(p.checked, now)
                        )
                    },
                ),
                port_ok: probe.map(|p| p.reachable),
                last_seen: format::ago(u.last_seen, now),
            }
        })
        .collect();
    page(
        status,
        &UsersPage {
            chrome: a.chrome("users"),
            rows,
            issued,
            notice,
            error,
        },
    )
}

pub async fn list(ctx: Ctx, query: String) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    // Only fixed messages: nothing from the query string reaches the page.
    let notice = match query_param(&query, "done").as_deref() {
        Some("enabled") => Some("Member enabled."),
        Some("disabled") => {
            Some("Member disabled: their key and announce URL are refused until enabled again.")
        }
        Some("deleted") => {
            Some("Member deleted. Their torrents stay, shown as from a deleted member.")
        }
        _ => None,
    };
    render(&a, StatusCode::OK, None, notice, None).await
}

fn issued(heading: &'static str, k: IssuedKeys) -> Issued {
    Issued {
        heading,
        k: crate::key_card::KeyCard::new(&k),
    }
}

pub async fn create(ctx: Ctx, form: Form) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = a.check_csrf(&form) {
        return r;
    }
    let label = form.get("label").to_string();
    let made = a.ctx.state.catalog().create_member(label).await;
    match made {
        Ok(k) => {
            tracing::info!(member = k.id, "member created in the panel");
            render(
                &a,
                StatusCode::OK,
                Some(issued("New member", k)),
                None,
                None,
            )
            .await
        }
        Err(MemberError::Store(_)) => a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        Err(e @ MemberError::DuplicateLabel(_)) => {
            render(&a, StatusCode::CONFLICT, None, None, Some(e.to_string())).await
        }
        Err(e) => {
            render(
                &a,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                None,
                Some(e.to_string()),
            )
            .await
        }
    }
}

pub async fn action(ctx: Ctx, id: u64, verb: String, form: Form) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = a.check_csrf(&form) {
        return r;
    }
    let state = &a.ctx.state;
    let (change, done) = match verb.as_str() {
        "rotate" => {
            let outcome = state.catalog().rotate_member(id).await;
            return finish(
                &a,
                id,
                &verb,
                outcome.map(|k| k.map(|k| Err(issued("New keys", k)))),
            )
            .await;
        }
        "enable" => (MemberChange::Enable, "enabled"),
        "disable" => (MemberChange::Disable, "disabled"),
        "delete" => (MemberChange::Delete, "deleted"),
        _ => return a.ctx.fail(StatusCode::NOT_FOUND, "No such action."),
    };
    let outcome = state.catalog().change_member(id, change).await;
    finish(
        &a,
        id,
        &verb,
        outcome
            .map(|found| found.then_some(Ok(done)))
            .map_err(MemberError::from),
    )
    .await
}

/// The page after a member action: its outcome, or the rotated keys shown once.
async fn finish(
    a: &Admin,
    id: u64,
    verb: &str,
    outcome: Result<Option<Result<&'static str, Issued>>, MemberError>,
) -> Response {
    match outcome {
        Err(_) => a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        Ok(None) => a.ctx.fail(StatusCode::NOT_FOUND, "No such member."),
        Ok(Some(done)) => {
            tracing::info!(member = id, action = %verb, "member changed in the panel");
            match done {
                Ok(what) => a.ctx.redirect(&format!("/admin/users?done={what}")),
                // Rotated keys are shown once, on this response.
                Err(keys) => render(a, StatusCode::OK, Some(keys), None, None).await,
            }
        }
    }
}
