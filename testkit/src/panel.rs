//! Helpers for the admin panel tests: a browser-like HTTP session (cookies,
//! CSRF tokens from the pages), without following redirects.

use crate::server::{Server, ADMIN_PASSWORD};

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `name` in the response's Set-Cookie headers.
pub fn set_cookie<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// The first `name="csrf" value="…"` of a page.
pub fn csrf_in(body: &str) -> String {
    let at = body
        .find(r#"name="csrf" value=""#)
        .expect("page has a CSRF field");
    let rest = &body[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The `value` of the input with this id.
pub fn input_value(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!(r#"id="{id}""#))?;
    let rest = &body[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    Some(rest[v..v + rest[v..].find('"')?].to_string())
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A browser-like visitor: the cookies it was given and the pages it reads,
/// of the server's panel or of a client's dashboard.
pub struct Visitor {
    /// `http://host:port` of what it visits.
    pub base: String,
    pub cookies: Vec<(String, String)>,
    pub client: reqwest::Client,
    /// The server's URL_BASE, which `login` puts before the panel's paths.
    pub url_base: String,
    /// Sent with every request (e.g. a proxy's `X-Forwarded-Proto`).
    pub headers: reqwest::header::HeaderMap,
}

impl Visitor {
    pub fn new(server: &Server) -> Self {
        Visitor::at(&server.url(""))
    }

    pub fn at(base: &str) -> Self {
        Visitor {
            base: base.trim_end_matches('/').to_string(),
            cookies: Vec::new(),
            client: http(),
            url_base: String::new(),
            headers: Default::default(),
        }
    }

    /// A visitor of a server whose panel lives under URL_BASE `base`.
    pub fn under(server: &Server, base: &str) -> Self {
        Visitor {
            url_base: base.to_string(),
            ..Visitor::new(server)
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (name, value) = v.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !v.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let resp = self
            .client
            .get(self.url(path))
            .headers(self.headers.clone())
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.absorb(&resp);
        resp
    }

    /// GET, expecting a page; returns status and body.
    pub async fn page(&mut self, path: &str) -> (u16, String) {
        let resp = self.get(path).await;
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let resp = self
            .client
            .post(self.url(path))
            .headers(self.headers.clone())
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.absorb(&resp);
        resp
    }

    /// Reads the CSRF token off `form_page`, then posts the form with it.
    pub async fn submit(
        &mut self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, body) = self.page(form_page).await;
        let csrf = csrf_in(&body);
        let mut all = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post(action, &all).await
    }

    pub async fn login(&mut self) {
        let login = format!("{}/admin/login", self.url_base);
        let resp = self
            .submit(&login, &login, &[("password", ADMIN_PASSWORD)])
            .await;
        assert_eq!(resp.status(), 303, "login");
        assert_eq!(location(&resp), format!("{}/admin", self.url_base));
    }

    pub fn session(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == "pi_session")
            .map(|(_, v)| v.clone())
    }
}
