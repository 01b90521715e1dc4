//! `/view/{infohash}`: the read-only torrent page members reach from Torznab's
//! `comments` link. Members authenticate like the download link: `?apikey=`
//! (or the `X-Api-Key` header); the page never echoes the key back.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::torrents::{facts, Facts};
use super::web::{error_page, page, Chrome, Ctx};
use crate::web::error::AuthError;

#[derive(Template)]
#[template(path = "view.html")]
struct ViewPage {
    chrome: Chrome,
    t: Facts,
}

pub async fn page_for_member(info_hash: String, ctx: Ctx, api_key: Option<String>) -> Response {
    let c = &ctx.state.config;
    let fail =
        |status: StatusCode, msg: &str| error_page(&c.site_name, &c.url_base, status, msg, "");
    match ctx.state.member(api_key).await {
        Ok(_) => {}
        Err(AuthError::Store(e)) => {
            tracing::error!(error = &e as &dyn std::error::Error, "store");
            return fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed.");
        }
        Err(e) => {
            let status = match e {
                AuthError::Disabled => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            return fail(
                status,
                "This page needs a valid member API key (?apikey=…) of an enabled member.",
            );
        }
    }
    match facts(&ctx.state, &info_hash, true).await {
        Err(()) => fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        Ok(None) => fail(StatusCode::NOT_FOUND, "No such torrent."),
        Ok(Some(t)) => page(
            StatusCode::OK,
            &ViewPage {
                chrome: ctx.chrome_out(),
                t,
            },
        ),
    }
}
