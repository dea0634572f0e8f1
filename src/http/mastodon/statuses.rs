//! Posts (`/api/v1/statuses/...`): writing, editing and deleting them, their
//! thread, history and source, and the viewer's favourites, boosts and
//! bookmarks.

use super::entities::{Context, Status, StatusEdit, StatusSource, WrittenBy};
use super::form::Form;
use super::{Auth, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::model::{ReactionKind, Visibility};
use crate::service::{
    ServiceError,
    attachments::{MediaAttributes, PostMedia},
    auth::Session,
    client,
    posts::{self, NewPost},
};
use axum::{
    Json, Router,
    extract::Path,
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/statuses", post(create))
        .route("/api/v1/statuses/{id}", get(show).delete(delete).put(edit))
        .route("/api/v1/statuses/{id}/history", get(history))
        .route("/api/v1/statuses/{id}/source", get(source))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(unbookmark))
}

/// The media of a post as a client gives them: `media_ids[]` (repeated
/// form keys, or a JSON array), `sensitive`, and on an edit
/// `media_attributes[]` (alt text and focus of attachments).
struct MediaForm {
    /// None: no `media_ids` given (an edit keeps the media it has).
    ids: Option<Vec<i64>>,
    sensitive: bool,
    attributes: Vec<MediaAttributes>,
}

/// Ids beyond this many are refused before any look-up (the service's
/// limit, `media.max_attachments`, is far lower).
const MAX_MEDIA_IDS: usize = 32;

fn truthy(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "on" | "yes")
    )
}

impl MediaForm {
    fn read(form: &Form) -> ApiResult<MediaForm> {
        let given = form
            .fields
            .iter()
            .any(|(k, _)| k == "media_ids" || k == "media_ids[]" || k.starts_with("media_ids["));
        let values: Vec<&str> = form
            .fields
            .iter()
            .filter(|(k, _)| k == "media_ids" || k.starts_with("media_ids["))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
            .collect();
        if values.len() > MAX_MEDIA_IDS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: too many media_ids",
            ));
        }
        let ids = values
            .iter()
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("Validation failed: media id {v:?} is not a number"),
                    )
                })
            })
            .collect::<ApiResult<Vec<i64>>>()?;
        Ok(MediaForm {
            ids: given.then_some(ids),
            sensitive: truthy(form.get("sensitive")),
            attributes: media_attributes(form)?,
        })
    }
}

/// `media_attributes[N][id|description|focus]` (JSON, indexed forms) or
/// `media_attributes[][…]` (Rails forms: a repeated key starts the next).
fn media_attributes(form: &Form) -> ApiResult<Vec<MediaAttributes>> {
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (key, value) in &form.fields {
        let Some(rest) = key.strip_prefix("media_attributes[") else {
            continue;
        };
        let Some((index, field)) = rest.split_once("][") else {
            continue;
        };
        let field = field.trim_end_matches(']').to_string();
        let pair = (field.clone(), value.clone());
        if index.is_empty() {
            // Rails: `[]` groups follow one another; a field seen again
            // starts the next.
            match groups.last_mut() {
                Some((last, fields))
                    if last.is_empty() && !fields.iter().any(|(f, _)| *f == field) =>
                {
                    fields.push(pair)
                }
                _ => groups.push((String::new(), vec![pair])),
            }
        } else {
            match groups.iter_mut().find(|(i, _)| i == index) {
                Some((_, fields)) => fields.push(pair),
                None => groups.push((index.to_string(), vec![pair])),
            }
        }
        if groups.len() > MAX_MEDIA_IDS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: too many media_attributes",
            ));
        }
    }
    groups
        .into_iter()
        .map(|(_, fields)| {
            let get = |name: &str| {
                fields
                    .iter()
                    .rev()
                    .find(|(f, _)| f == name)
                    .map(|(_, v)| v.clone())
            };
            let id = get("id")
                .and_then(|id| id.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Validation failed: media_attributes needs an id",
                    )
                })?;
            Ok(MediaAttributes {
                id,
                description: get("description"),
                focus: get("focus"),
            })
        })
        .collect()
}

#[derive(Debug, Default)]
struct StatusForm {
    status: Option<String>,
    in_reply_to_id: Option<String>,
    spoiler_text: Option<String>,
    visibility: Option<String>,
    language: Option<String>,
    /// kuvend's extension (issue 14, docs/coalitions.md "Addressing a
    /// coalition"): the local coalition the post is addressed to, by its
    /// account id, handle or ap id; sent as FEP-1b12 `audience`.
    audience: Option<String>,
}

impl StatusForm {
    fn read(form: &Form) -> StatusForm {
        let text = |key: &str| form.get(key).map(str::to_string);
        StatusForm {
            status: text("status"),
            in_reply_to_id: text("in_reply_to_id"),
            spoiler_text: text("spoiler_text"),
            visibility: text("visibility"),
            language: text("language"),
            audience: text("audience"),
        }
    }
}

/// The text of a new or edited post, which may not be blank unless it
/// carries media.
fn status_text(form: &mut StatusForm, with_media: bool) -> ApiResult<String> {
    let text = form.status.take().unwrap_or_default();
    if text.trim().is_empty() && !with_media {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Text can't be blank",
        ));
    }
    Ok(text)
}

/// With an `Idempotency-Key`, a repeated request (an app retrying after a
/// lost answer) gets the post the first one made instead of a second post.
async fn create(
    data: FedData,
    Auth(session): Auth,
    headers: HeaderMap,
    body: Form,
) -> ApiResult<Json<Status>> {
    session.require("write:statuses").map_err(service)?;
    let acting = session.acting()?;
    let actor = acting.account.clone();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut form = StatusForm::read(&body);
    let media_form = MediaForm::read(&body)?;
    let media = PostMedia {
        ids: media_form.ids.unwrap_or_default(),
        sensitive: media_form.sensitive,
    };
    let text = status_text(&mut form, !media.ids.is_empty())?;
    let visibility = match form.visibility.as_deref().unwrap_or("public") {
        "public" => Visibility::Public,
        "unlisted" => Visibility::Unlisted,
        "private" => Visibility::Followers,
        "direct" => Visibility::Direct,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "Validation failed: visibility {other:?} is not one of public, unlisted, private, direct"
                ),
            ));
        }
    };
    let in_reply_to = match form.in_reply_to_id.filter(|s| !s.is_empty()) {
        // Through the reader's eyes: a 404 or an answer naming the parent's
        // author would otherwise tell a write-only token what it may not read.
        Some(id) => Some(
            client::status(&data, &id, session.reader().as_ref())
                .await?
                .post
                .ap_id,
        ),
        None => None,
    };
    let audience = form.audience.filter(|s| !s.trim().is_empty());
    let post = posts::create_post_with_media(
        &data,
        &acting,
        NewPost {
            text,
            visibility,
            in_reply_to,
            spoiler: form.spoiler_text.filter(|s| !s.is_empty()),
            language: form.language.filter(|s| !s.is_empty()),
        },
        &media,
        key.as_deref(),
        audience.as_deref(),
    )
    .await
    .map_err(|e| match e {
        ServiceError::Unprocessable(m) => {
            ServiceError::Unprocessable(format!("Validation failed: {m}"))
        }
        other => other,
    })?;
    let status = client::status(&data, &post.id.to_string(), Some(&actor)).await?;
    Ok(Json(Status::new(&data, &status)))
}

/// One status. The organisation's owners also see which staff member wrote
/// it (`kuvend_written_by`, never federated), if the token may read statuses.
async fn show(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    let viewer = session.as_ref().and_then(Session::reader);
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    let mut shown = Status::new(&data, &status);
    let reading_user = session.as_ref().filter(|_| viewer.is_some());
    if let Some(user) = reading_user.and_then(|s| s.user.as_ref()) {
        if let Some(email) = client::staff_author_for_owner(&data, user, &status.post).await? {
            shown.kuvend_written_by = Some(WrittenBy { email });
        }
    }
    Ok(Json(shown))
}

async fn edit(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    body: Form,
) -> ApiResult<Json<Status>> {
    session.require("write:statuses").map_err(service)?;
    let acting = session.acting()?;
    let actor = &acting.account;
    let status = client::status(&data, &id, Some(actor)).await?;
    let mut form = StatusForm::read(&body);
    let media_form = MediaForm::read(&body)?;
    let media = media_form.ids.map(|ids| PostMedia {
        ids,
        sensitive: media_form.sensitive,
    });
    let with_media = match &media {
        Some(m) => !m.ids.is_empty(),
        None => !status.media.is_empty(),
    };
    let text = status_text(&mut form, with_media)?;
    posts::edit_post_with_media(
        &data,
        &acting,
        &status.post.ap_id,
        &text,
        media.as_ref(),
        &media_form.attributes,
    )
    .await
    .map_err(|e| match e {
        ServiceError::Unprocessable(m) => {
            ServiceError::Unprocessable(format!("Validation failed: {m}"))
        }
        other => other,
    })?;
    let status = client::status(&data, &id, Some(actor)).await?;
    Ok(Json(Status::new(&data, &status)))
}

/// Answers with the deleted post, which apps use to "delete and redraft".
async fn delete(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    session.require("write:statuses").map_err(service)?;
    let acting = session.acting()?;
    let status = client::status(&data, &id, Some(&acting.account)).await?;
    let mut deleted = Status::new(&data, &status);
    deleted.text = status.post.source.clone();
    posts::delete_post_as(&data, &acting, &status.post.ap_id).await?;
    Ok(Json(deleted))
}

/// Every version, oldest first, the current one last (as Mastodon lists
/// them), each with its media.
async fn history(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StatusEdit>>> {
    let viewer = session.as_ref().and_then(Session::reader);
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    let current = Status::new(&data, &status);
    let earlier = crate::service::attachments::earlier_versions(&data, status.post.id).await?;
    let mut versions: Vec<StatusEdit> = earlier
        .iter()
        .map(|version| StatusEdit::earlier(&data, version, &current.account))
        .collect();
    versions.push(StatusEdit::current(current));
    Ok(Json(versions))
}

async fn source(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<StatusSource>> {
    session.require("read:statuses").map_err(service)?;
    let actor = session.actor().map_err(service)?.clone();
    let status = client::status(&data, &id, Some(&actor)).await?;
    // As on Mastodon, only the acting account's own statuses have a source.
    if status.post.author_id != actor.id {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Record not found"));
    }
    Ok(Json(StatusSource {
        id: status.post.id.to_string(),
        text: status.post.source.unwrap_or_default(),
        spoiler_text: status.post.summary.unwrap_or_default(),
    }))
}

async fn context(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Context>> {
    let viewer = session.as_ref().and_then(Session::reader);
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    let (ancestors, descendants) = client::context(&data, &status.post, viewer.as_ref()).await?;
    Ok(Json(Context {
        ancestors: ancestors.iter().map(|s| Status::new(&data, s)).collect(),
        descendants: descendants.iter().map(|s| Status::new(&data, s)).collect(),
    }))
}

/// Favourites and boosts. Doing what is already done, or undoing what is
/// not, is not an error: the answer is the post as it now is.
/// Status ids are guessable, so these never answer with a post the token
/// could not read.
async fn react(
    data: FedData,
    session: Session,
    id: String,
    kind: ReactionKind,
    on: bool,
) -> ApiResult<Json<Status>> {
    session
        .require("write:favourites")
        .or_else(|_| session.require("write:statuses"))
        .map_err(service)?;
    let acting = session.acting()?;
    // The post is found, and answered, through the reader's eyes: a token
    // that may not read statuses acts only on what anyone may see.
    let viewer = session.reader();
    let status = client::status_acted_on(&data, &id, viewer.as_ref()).await?;
    let id = status.post.id.to_string();
    let result = if on {
        posts::react_as(&data, &acting, &status.post.ap_id, kind)
            .await
            .map(|_| ())
    } else {
        posts::unreact_as(&data, &acting, &status.post.ap_id, kind)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) | Err(ServiceError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    Ok(Json(Status::new(&data, &status)))
}

async fn favourite(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    react(data, s, id, ReactionKind::Like, true).await
}

async fn unfavourite(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    react(data, s, id, ReactionKind::Like, false).await
}

async fn reblog(data: FedData, Auth(s): Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    react(data, s, id, ReactionKind::Announce, true).await
}

async fn unreblog(data: FedData, Auth(s): Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    react(data, s, id, ReactionKind::Announce, false).await
}

async fn set_bookmark(
    data: FedData,
    session: Session,
    id: String,
    on: bool,
) -> ApiResult<Json<Status>> {
    session.require("write:bookmarks").map_err(service)?;
    let actor = session.actor().map_err(service)?.clone();
    let viewer = session.reader();
    let status = client::status_acted_on(&data, &id, viewer.as_ref()).await?;
    let id = status.post.id.to_string();
    client::set_bookmark(&data, &actor, status.post.id, on).await?;
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    Ok(Json(Status::new(&data, &status)))
}

async fn bookmark(data: FedData, Auth(s): Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    set_bookmark(data, s, id, true).await
}

async fn unbookmark(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    set_bookmark(data, s, id, false).await
}
