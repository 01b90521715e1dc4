//! The panel's routes: `/admin/…` pages, `/view/{infohash}`, `/static/…`.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::web::{error_page, Ctx};
use super::{auth, member, overview, torrents, users, view};
use crate::app::state::AppState;
use crate::web::client_ip::Origin;
use crate::web::filters::{any_of, api_key, form, origin, raw_query, route, with};

/// Largest form body the panel accepts; its forms are a few short fields.
const FORM_LIMIT: u64 = 16 * 1024;

pub fn routes(state: Arc<AppState>) -> BoxedFilter<(Response,)> {
    let site = (
        state.config.site_name.clone(),
        state.config.url_base.clone(),
    );
    let ctx = with(state.clone())
        .and(warp::header::optional::<String>("cookie"))
        .and(origin())
        .map(|state: Arc<AppState>, cookies, o: Origin| {
            let proxies = &state.config.trusted_proxies;
            let ip = proxies
                .client_ip(&o)
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            let https = proxies.came_over_https(&o);
            Ctx {
                state,
                cookies,
                ip,
                https,
            }
        })
        .boxed();
    let form = form(FORM_LIMIT);
    let pages = any_of!(
        route!(get warp::path::end(), ctx => overview::page_for_admin),
        route!(get warp::path!("figures"), ctx => overview::figures_json),
        route!(get warp::path!("login"), ctx => auth::login_page),
        route!(post warp::path!("login"), ctx, form => auth::login),
        route!(post warp::path!("logout"), ctx, form => auth::logout),
        route!(get warp::path!("setup"), ctx => auth::setup_page),
        route!(post warp::path!("setup"), ctx, form => auth::setup),
        route!(get warp::path!("users"), ctx, raw_query() => users::list),
        route!(post warp::path!("users"), ctx, form => users::create),
        route!(post warp::path!("users" / u64 / String), ctx, form =>
            |id, verb, ctx, form| users::action(ctx, id, verb, form)),
        route!(get warp::path!("users" / u64), ctx => member::page_for_admin),
        route!(get warp::path!("torrents"), ctx, raw_query() => torrents::list),
        route!(get warp::path!("torrents" / String), ctx => torrents::detail),
        route!(post warp::path!("torrents" / String / "delete"), ctx, form => torrents::delete),
    );
    let site2 = site.clone();
    let admin = warp::path("admin")
        .and(
            pages
                .recover(move |r| recover_html(site.clone(), r))
                .unify(),
        )
        .boxed();
    let member_view = warp::path("view")
        .and(
            warp::path::param::<String>()
                .and(warp::path::end())
                .and(warp::get())
                .and(ctx)
                .and(api_key())
                .then(view::page_for_member)
                .recover(move |r| recover_html(site2.clone(), r))
                .unify(),
        )
        .boxed();
    let assets = warp::path!("static" / String)
        .and(warp::get())
        .then(crate::web::assets::serve)
        .boxed();
    admin.or(member_view).unify().or(assets).unify().boxed()
}

/// warp's own refusals under `/admin` and `/view` as HTML pages, not JSON.
async fn recover_html(site: (String, String), err: Rejection) -> Result<Response, Infallible> {
    let (status, msg) = crate::web::html::rejection(&err);
    Ok(error_page(&site.0, &site.1, status, msg, "/admin"))
}
