//! Media uploads (`/api/v1/media`, `/api/v2/media`, issue 16).

use super::entities::MediaAttachment;
use super::form::{Form, upload_body_limit};
use super::{Auth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::media::{self, MediaPurpose, Upload};
use axum::{
    Json, Router,
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/media", post(create_v1))
        .route("/api/v2/media", post(create_v2))
        .route("/api/v1/media/{id}", get(show).put(update).delete(delete))
        .layer(upload_body_limit())
}

fn id_of(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))
}

async fn upload(
    data: &FedData,
    session: &crate::service::auth::Session,
    mut form: Form,
) -> ApiResult<media::MediaRow> {
    session.require("write:media").map_err(service)?;
    let acting = session.acting()?;
    let bytes = form.take_file("file").ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: File can't be blank",
        )
    })?;
    let up = Upload {
        bytes,
        description: form.get("description").map(str::to_string),
        focus: form.get("focus").map(str::to_string),
    };
    media::upload(data, &acting, MediaPurpose::Attachment, up)
        .await
        .map_err(service)
}

/// Mastodon's v1 upload: 200 with the attachment.
async fn create_v1(
    data: FedData,
    Auth(session): Auth,
    form: Form,
) -> ApiResult<Json<MediaAttachment>> {
    let row = upload(&data, &session, form).await?;
    Ok(Json(MediaAttachment::new(&data, &row)))
}

/// 200 with the attachment, or 202 with `url: null` while an animated or
/// large image is processed in the background.
async fn create_v2(data: FedData, Auth(session): Auth, form: Form) -> ApiResult<Response> {
    let row = upload(&data, &session, form).await?;
    let status = if row.state == "processing" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MediaAttachment::new(&data, &row))).into_response())
}

/// 200 when ready, 206 while processing (as Mastodon), 422 if it failed.
async fn show(data: FedData, Auth(session): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    session.require("write:media").map_err(service)?;
    let row = media::own(&data, &session.acting()?, id_of(&id)?)
        .await
        .map_err(service)?;
    let status = match row.state.as_str() {
        "processing" => StatusCode::PARTIAL_CONTENT,
        "failed" => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Processing the file failed",
            ));
        }
        _ => StatusCode::OK,
    };
    Ok((status, Json(MediaAttachment::new(&data, &row))).into_response())
}

/// Alt text (`description`) and focal point (`focus=x,y`).
async fn update(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    form: Form,
) -> ApiResult<Json<MediaAttachment>> {
    session.require("write:media").map_err(service)?;
    let row = media::update(
        &data,
        &session.acting()?,
        id_of(&id)?,
        form.get("description"),
        form.get("focus"),
    )
    .await
    .map_err(service)?;
    Ok(Json(MediaAttachment::new(&data, &row)))
}

/// Deletes an upload not yet posted.
async fn delete(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MediaAttachment>> {
    session.require("write:media").map_err(service)?;
    let row = media::delete(&data, &session.acting()?, id_of(&id)?)
        .await
        .map_err(service)?;
    Ok(Json(MediaAttachment::new(&data, &row)))
}
