//! The one place service errors become HTTP responses: a status and a JSON
//! `{"error": "..."}` body. Internal causes are logged, never sent.

use crate::service::ServiceError;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds for `Retry-After`, on a 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// Sets `Retry-After` on a response, when there is a wait to tell.
pub fn with_retry_after(mut response: Response, retry_after: Option<u64>) -> Response {
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = match &error {
            ServiceError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Conflict(_) => StatusCode::CONFLICT,
            ServiceError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::Remote(_) => StatusCode::BAD_GATEWAY,
            ServiceError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Gone(_) => StatusCode::GONE,
            ServiceError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let retry_after = match &error {
            ServiceError::TooManyRequests(_, retry) => Some(retry.seconds()),
            _ => None,
        };
        ApiError {
            retry_after,
            ..ApiError::new(status, error.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::info!(status = self.status.as_u16(), reason = %self.message, "request refused");
        }
        let response = (self.status, Json(json!({ "error": self.message }))).into_response();
        with_retry_after(response, self.retry_after)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
