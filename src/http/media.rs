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
    Router::new()
        .route("/media/{*key}", get(serve))
        .route("/media/proxy/{mac}/{b64}/{variant}", get(proxy))
}

/// A remote image through our proxy (issue 16), served like our own.
async fn proxy(
    data: FedData,
    Path((mac, b64, variant)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let file = crate::service::media_proxy::serve(&data, &mac, &b64, &variant).await?;
    Ok(blob_response(file.bytes, file.content_type))
}

async fn serve(data: FedData, Path(key): Path<String>) -> ApiResult<Response> {
    let (bytes, content_type) = media::blob(&data, &key).await?;
    Ok(blob_response(bytes, content_type))
}

/// A blob with the headers every media file gets.
fn blob_response(bytes: Vec<u8>, content_type: &'static str) -> Response {
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
    response
}
