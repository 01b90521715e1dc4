//! Members: list with counters, create, disable/enable, rotate keys, delete.

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::format;
use super::web::{admin, page, redirect, Admin, Chrome, Ctx, Form};
use crate::members::{self, IssuedKeys, MemberError};
use crate::server::state::{now, AppState};
use crate::web::filters::query_param;

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
    pub label: String,
    pub api_key: String,
    pub announce_url: String,
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
        label: k.label,
        api_key: k.api_key,
        announce_url: k.announce_url,
    }
}

/// Runs a member call on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> Result<T, MemberError> + Send + 'static,
) -> Result<T, MemberError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || f(&st))
        .await
        .unwrap_or_else(|e| {
            Err(MemberError::Store(crate::store::StoreError::Backend(
                e.to_string(),
            )))
        })
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
    let made = blocking(&a.ctx.state, move |st| {
        members::create(
            &*st.store,
            &st.secret,
            &st.config.tracker_url,
            &label,
            now(),
        )
    })
    .await;
    match made {
        Ok(k) => {
            tracing::info!(member = k.id, "member created in the panel");
            // The tracker learns the new passkey through this hook.
            a.ctx.state.notify(|l| l.member_changed(k.id));
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
    let state = a.ctx.state.clone();
    let outcome = match verb.as_str() {
        "rotate" => blocking(&state, move |st| {
            members::rotate(&*st.store, &st.secret, &st.config.tracker_url, id)
        })
        .await
        .map(|k| k.map(|k| Err(issued("New keys", k)))),
        "enable" | "disable" => {
            let on = verb == "enable";
            blocking(&state, move |st| Ok(st.store.set_user_enabled(id, on)?))
                .await
                .map(|found| found.then_some(Ok(if on { "enabled" } else { "disabled" })))
        }
        "delete" => blocking(&state, move |st| Ok(st.store.delete_user(id)?))
            .await
            .map(|found| found.then_some(Ok("deleted"))),
        _ => return a.ctx.fail(StatusCode::NOT_FOUND, "No such action."),
    };
    match outcome {
        Err(_) => a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        Ok(None) => a.ctx.fail(StatusCode::NOT_FOUND, "No such member."),
        Ok(Some(done)) => {
            state.notify(|l| l.member_changed(id));
            tracing::info!(member = id, action = %verb, "member changed in the panel");
            match done {
                Ok(what) => redirect(&format!("/admin/users?done={what}")),
                // Rotated keys are shown once, on this response.
                Err(keys) => render(&a, StatusCode::OK, Some(keys), None, None).await,
            }
        }
    }
}
