//! The dashboard's routes: `/` (to `/dashboard`), `/dashboard/…`, `/static/…`.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::{actions, auth, message_page, overview, scanner, torrents, Ctx, Dashboard};
use crate::web::client_ip::{Origin, TrustedProxies};
use crate::web::filters::{any_of, form, origin, raw_query, route, with};
use crate::web::html::redirect;

/// Largest form body accepted; the forms are a few short fields.
const FORM_LIMIT: u64 = 16 * 1024;

/// The request came over https: only a trusted proxy can say so, since this
/// port speaks plain http.
fn forwarded_https(proxies: &TrustedProxies, o: &Origin, proto: Option<&str>) -> bool {
    o.remote
        .is_some_and(|r| proxies.trusts(crate::web::client_ip::canonical_ip(r)))
        && proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

pub fn routes(dash: Arc<Dashboard>) -> BoxedFilter<(Response,)> {
    let ctx = with(dash)
        .and(warp::header::optional::<String>("cookie"))
        .and(origin())
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .map(
            |dash: Arc<Dashboard>, cookies, o: Origin, proto: Option<String>| {
                let ip: Option<IpAddr> = dash.proxies.client_ip(&o);
                Ctx {
                    https: forwarded_https(&dash.proxies, &o, proto.as_deref()),
                    dash,
                    cookies,
                    ip: ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                }
            },
        )
        .boxed();
    let form = form(FORM_LIMIT);
    let pages = any_of!(
        route!(get warp::path::end(), ctx => overview::page_for),
        route!(get warp::path!("login"), ctx => auth::login_page),
        route!(post warp::path!("login"), ctx, form => auth::login),
        route!(post warp::path!("logout"), ctx, form => auth::logout),
        route!(get warp::path!("torrents"), ctx, raw_query() => torrents::list),
        route!(get warp::path!("torrents" / String), ctx => torrents::detail),
        route!(get warp::path!("torrents" / String / String), ctx, raw_query() => actions::confirm),
        route!(post warp::path!("torrents" / String / String), ctx, form => actions::act),
        route!(get warp::path!("scanner"), ctx => scanner::page_for),
        route!(get warp::path!("scanner" / String / "rescan"), ctx => scanner::confirm),
        route!(post warp::path!("scanner" / String / "rescan"), ctx, form => scanner::rescan),
    );
    let dashboard = warp::path("dashboard")
        .and(pages.recover(recover_html).unify())
        .boxed();
    let root = warp::path::end()
        .and(warp::get())
        .map(|| redirect(super::PATH))
        .boxed();
    let assets = warp::path!("static" / String)
        .and(warp::get())
        .then(crate::web::assets::serve)
        .boxed();
    dashboard.or(root).unify().or(assets).unify().boxed()
}

/// warp's own refusals under `/dashboard` as HTML pages.
async fn recover_html(err: Rejection) -> Result<Response, Infallible> {
    let (status, msg) = crate::web::html::rejection(&err);
    Ok(message_page(status, super::chrome_out(), msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_can_say_https() {
        let o = |ip: &str| Origin {
            remote: Some(ip.parse().unwrap()),
            ..Origin::default()
        };
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        assert!(forwarded_https(&proxies, &o("10.1.2.3"), Some("https")));
        assert!(forwarded_https(&proxies, &o("10.1.2.3"), Some(" HTTPS ")));
        assert!(!forwarded_https(&proxies, &o("10.1.2.3"), Some("http")));
        assert!(!forwarded_https(&proxies, &o("10.1.2.3"), None));
        assert!(
            !forwarded_https(&proxies, &o("192.0.2.7"), Some("https")),
            "not a proxy"
        );
        assert!(!forwarded_https(
            &TrustedProxies::default(),
            &o("10.1.2.3"),
            Some("https")
        ));
    }
}
