//! Serving media blobs (`/media/{key}`, issue 16). Everything served here
//! was re-encoded by us from pixels; the headers make sure a browser treats
//! it as an image and nothing else, even if a decoder ever let something
//! through: the content type we chose, `nosniff` (the security middleware),
//! and a CSP that sandboxes and forbids everything should the file be opened
//! as a document.

use crate::federation::FedData;
use crate::http::error::ApiResult;
use crate::service::media;
use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// The CSP of every blob: no script, no plugin, no origin (sandbox).
const MEDIA_CSP: &str = "default-src 'none'; sandbox";

pub fn routes() -> Router {
    Router::new().route("/media/{*key}", get(serve))
}

async fn serve(data: FedData, Path(key): Path<String>) -> ApiResult<Response> {
    let (bytes, content_type) = media::blob(&data, &key).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(MEDIA_CSP),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(response)
}
