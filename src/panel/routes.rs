//! The panel's routes: `/admin/…` pages, `/view/{infohash}`, `/static/…`.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::web::{error_page, Ctx, Form};
use super::{auth, member, overview, torrents, users, view};
use crate::app::state::AppState;
use crate::web::client_ip::Origin;
use crate::web::filters::{api_key, origin, raw_query, with};

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
    let form = warp::body::content_length_limit(FORM_LIMIT)
        .and(warp::body::bytes())
        .map(|b: bytes::Bytes| Form::parse(&b))
        .boxed();

    let overview = warp::path::end()
        .and(warp::get())
        .and(ctx.clone())
        .then(overview::page_for_admin)
        .boxed();
    let figures = warp::path!("figures")
        .and(warp::get())
        .and(ctx.clone())
        .then(overview::figures_json)
        .boxed();
    let login_page = warp::path!("login")
        .and(warp::get())
        .and(ctx.clone())
        .then(auth::login_page)
        .boxed();
    let login = warp::path!("login")
        .and(warp::post())
        .and(ctx.clone())
        .and(form.clone())
        .then(auth::login)
        .boxed();
    let logout = warp::path!("logout")
        .and(warp::post())
        .and(ctx.clone())
        .and(form.clone())
        .then(auth::logout)
        .boxed();
    let setup_page = warp::path!("setup")
        .and(warp::get())
        .and(ctx.clone())
        .then(auth::setup_page)
        .boxed();
    let setup = warp::path!("setup")
        .and(warp::post())
        .and(ctx.clone())
        .and(form.clone())
        .then(auth::setup)
        .boxed();
    let users_page = warp::path!("users")
        .and(warp::get())
        .and(ctx.clone())
        .and(raw_query())
        .then(users::list)
        .boxed();
    let user_create = warp::path!("users")
        .and(warp::post())
        .and(ctx.clone())
        .and(form.clone())
        .then(users::create)
        .boxed();
    let member_page = warp::path!("users" / u64)
        .and(warp::get())
        .and(ctx.clone())
        .then(member::page_for_admin)
        .boxed();
    let user_action = warp::path!("users" / u64 / String)
        .and(warp::post())
        .and(ctx.clone())
        .and(form.clone())
        .then(|id, verb, ctx, form| users::action(ctx, id, verb, form))
        .boxed();
    let torrents_page = warp::path!("torrents")
        .and(warp::get())
        .and(ctx.clone())
        .and(raw_query())
        .then(torrents::list)
        .boxed();
    let torrent_page = warp::path!("torrents" / String)
        .and(warp::get())
        .and(ctx.clone())
        .then(torrents::detail)
        .boxed();
    let torrent_delete = warp::path!("torrents" / String / "delete")
        .and(warp::post())
        .and(ctx.clone())
        .and(form)
        .then(torrents::delete)
        .boxed();

    let pages = overview
        .or(figures)
        .unify()
        .or(login_page)
        .unify()
        .or(login)
        .unify()
        .or(logout)
        .unify()
        .or(setup_page)
        .unify()
        .or(setup)
        .unify()
        .or(users_page)
        .unify()
        .or(user_create)
        .unify()
        .or(user_action)
        .unify()
        .or(member_page)
        .unify()
        .or(torrents_page)
        .unify()
        .or(torrent_page)
        .unify()
        .or(torrent_delete)
        .unify()
        .boxed();
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
