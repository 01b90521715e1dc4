//! The JSON surfaces' error mapper (client API, admin API): `{"error": "..."}`
//! with a fitting status, from typed errors and from warp's rejections.

use std::convert::Infallible;

use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Rejection, Reply};

use super::error::AuthError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn unprocessable(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "missing or invalid API key")
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, m)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = &e as &dyn std::error::Error, "store");
        match e {
            StoreError::DiskFull(_) => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "the server's disk is full: nothing was stored, try again later",
            ),
            StoreError::Unwritable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server's store cannot write right now: nothing was stored, try again later",
            ),
            StoreError::Unavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server's database is unreachable right now: nothing was stored, try again later",
            ),
            _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal store error"),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        // A store failure behind an auth check maps as any store failure.
        let e = match e {
            AuthError::Store(s) => return s.into(),
            other => other,
        };
        let status = match &e {
            AuthError::BadKey | AuthError::NoAdminCredentials | AuthError::BadAdminPassword => {
                StatusCode::UNAUTHORIZED
            }
            AuthError::Disabled => StatusCode::FORBIDDEN,
            AuthError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let body = warp::reply::json(&serde_json::json!({ "error": self.message }));
        warp::reply::with_status(body, self.status).into_response()
    }
}

/// Collapses a handler result into a response.
pub fn respond(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(Reply::into_response)
}

/// Turns warp's own rejections (unknown route, wrong method, oversized body…) into JSON errors.
pub async fn recover_json(err: Rejection) -> Result<Response, Infallible> {
    let e = if err.is_not_found() {
        ApiError::not_found("no such route")
    } else if err.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
    } else if err.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    } else if err.find::<warp::reject::UnsupportedMediaType>().is_some() {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type",
        )
    } else if let Some(e) = err.find::<warp::filters::body::BodyDeserializeError>() {
        ApiError::bad_request(format!("invalid JSON body: {e}"))
    } else if err.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::new(StatusCode::LENGTH_REQUIRED, "content-length required")
    } else if err.find::<warp::reject::InvalidQuery>().is_some() {
        ApiError::bad_request("invalid query string")
    } else if err.find::<warp::reject::MissingHeader>().is_some()
        || err.find::<warp::reject::InvalidHeader>().is_some()
    {
        ApiError::bad_request("missing or invalid header")
    } else {
        tracing::debug!("unhandled rejection: {err:?}");
        ApiError::bad_request("bad request")
    };
    Ok(e.into_response())
}
