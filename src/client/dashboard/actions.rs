//! A torrent's actions (a download's stop, start, delete with or without its
//! files; re-announce of any torrent announcing): a confirmation
//! page (GET) whose form (POST, with the CSRF token) does it. Library seeds
//! are never stopped or deleted: the scanner owns them, and nothing here can
//! reach the member's media.

use std::collections::BTreeSet;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::{member, Chrome, Ctx, Member};
use crate::client::downloads::DownloadError;
use crate::client::seeder::Reannounce;
use crate::client::status::Row;
use crate::web::html::{page, redirect, Form};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Stop,
    Start,
    Delete,
    Reannounce,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s {
            "stop" => Some(Action::Stop),
            "start" => Some(Action::Start),
            "delete" => Some(Action::Delete),
            "reannounce" => Some(Action::Reannounce),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Action::Stop => "stop",
            Action::Start => "start",
            Action::Delete => "delete",
            Action::Reannounce => "reannounce",
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    info_hash: String,
    name: String,
    action: &'static str,
    question: String,
    delete: bool,
}

/// The download `info_hash` names, when `verb` is an action it allows.
async fn target(m: &Member, info_hash: &str, verb: &str) -> Result<(Row, Action), Response> {
    let Some(action) = Action::parse(verb) else {
        return Err(m.fail(StatusCode::NOT_FOUND, "There is no such action."));
    };
    let rows = m.ctx.dash.status.rows().await;
    let Some(row) = rows.iter().find(|r| r.info_hash == info_hash) else {
        return Err(m.fail(StatusCode::NOT_FOUND, "No such torrent on this client."));
    };
    if row.library && action != Action::Reannounce {
        return Err(m.fail(
            StatusCode::CONFLICT,
            "This is a library seed: the scanner shares it from your media, which the dashboard never stops, moves or deletes.",
        ));
    }
    Ok((row.clone(), action))
}

pub async fn confirm(info_hash: String, verb: String, ctx: Ctx, _raw: String) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (row, action) = match target(&m, &info_hash, &verb).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let question = match action {
        Action::Stop => "Stop this download? It stops downloading and seeding until started again.",
        Action::Start => "Start this download again?",
        Action::Delete => "Delete this download from the client? Its files are deleted too only if you tick the box, and only inside DOWNLOADS_DIR.",
        Action::Reannounce => "Announce this torrent to the tracker now? If the tracker's minimum interval since the last announce is not over, it announces as soon as it is.",
    };
    page(
        StatusCode::OK,
        &ConfirmPage {
            chrome: m.chrome("torrents"),
            info_hash: row.info_hash,
            name: row.name,
            action: action.word(),
            question: question.into(),
            delete: action == Action::Delete,
        },
    )
}

pub async fn act(info_hash: String, verb: String, ctx: Ctx, form: Form) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = m.check_csrf(&form) {
        return r;
    }
    let (row, action) = match target(&m, &info_hash, &verb).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let downloads = &m.ctx.dash.status.downloads;
    let hashes: BTreeSet<String> = std::iter::once(row.info_hash.clone()).collect();
    let done = match action {
        Action::Reannounce => return reannounce(&m, &row).await,
        Action::Stop => downloads.set_stopped(&hashes, true).await,
        Action::Start => downloads.set_stopped(&hashes, false).await,
        Action::Delete => downloads.delete(&hashes, form.get("files") == "on").await,
    };
    match done {
        Ok(()) => {}
        Err(DownloadError::Library) => {
            return m.fail(StatusCode::CONFLICT, "Library seeds are not changed here.")
        }
        Err(e) => {
            tracing::warn!(info_hash = %row.info_hash, action = action.word(), "dashboard action failed: {e}");
            return m.fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("That did not work: {e}"),
            );
        }
    }
    tracing::info!(info_hash = %row.info_hash, action = action.word(), "dashboard action");
    // The next page shows the effect, not the last sample.
    let status = m.ctx.dash.status.clone();
    let _ = tokio::task::spawn_blocking(move || status.sample()).await;
    if action == Action::Delete {
        redirect("/dashboard/torrents")
    } else {
        redirect(&format!("/dashboard/torrents/{}", row.info_hash))
    }
}

/// "Announce now": the library seeder's for what it serves, else the
/// download engine's (through its relay).
async fn reannounce(m: &Member, row: &Row) -> Response {
    let status = &m.ctx.dash.status;
    let answer = status
        .downloads
        .reannounce(status.seeder.as_deref(), &row.info_hash)
        .await;
    tracing::info!(info_hash = %row.info_hash, ?answer, "re-announce asked for on the dashboard");
    match answer {
        Reannounce::Now => redirect(&format!("/dashboard/torrents/{}", row.info_hash)),
        Reannounce::Deferred(wait) => m.fail(
            StatusCode::ACCEPTED,
            &format!(
                "The tracker asks for a minimum interval between announces, which is not over: this torrent announces in {} s, on its own.",
                wait.as_secs().max(1)
            ),
        ),
        Reannounce::NotSeeded => m.fail(
            StatusCode::CONFLICT,
            "This torrent is not announcing now: it is stopped, withheld, or not started yet.",
        ),
    }
}
