//! A panic in a request handler answers a plain 500 with a generic message:
//! the panic text (which may name internals, a path or a record) goes to the
//! log only, and the connection keeps serving.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use warp::http::{header, Response, StatusCode};

pub const BODY: &str = "internal error";

/// Wraps a service whose responses are `Response<B>` (warp's).
#[derive(Clone)]
pub struct CatchPanic<S> {
    inner: S,
}

impl<S> CatchPanic<S> {
    pub fn new(inner: S) -> Self {
        CatchPanic { inner }
    }
}

impl<S, R, B> tower_service::Service<R> for CatchPanic<S>
where
    S: tower_service::Service<R, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: From<&'static str> + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<B>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        // A panic while building the future (in the routing itself) is caught too.
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req)));
        Box::pin(async move {
            let outcome = match called {
                Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await,
                Err(panic) => Err(panic),
            };
            outcome.unwrap_or_else(|panic| Ok(internal_error(&*panic)))
        })
    }
}

fn internal_error<B: From<&'static str>>(panic: &(dyn Any + Send)) -> Response<B> {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked; answered 500");
    let mut resp = Response::new(B::from(BODY));
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::{Filter, Reply};

    #[tokio::test]
    async fn a_panicking_handler_answers_a_plain_500_without_its_message() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = warp::path("boom")
            .map(|| -> warp::reply::Response { panic!("secret detail {}", 42) })
            .or(warp::any().map(|| "fine".into_response()))
            .unify()
            .boxed();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let server = tokio::spawn(crate::web::serve::serve(listener, routes, rx));
        let client = reqwest::Client::new();
        let resp = client
            .get(format!("http://{addr}/boom"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.text().await.unwrap(), BODY);
        // The server still answers after the panic.
        let ok = client.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "fine");
        tx.send(true).unwrap();
        server.await.unwrap();
    }
}
