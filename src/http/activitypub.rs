//! ActivityPub endpoints: actor documents, collections and inboxes.

use super::{
    activity_json,
    error::{ApiError, ApiResult},
    wants_activity_json,
};
use crate::{
    federation::{
        FedData,
        protocol::{WithContext, activity_context, actor_context, actor_context_for},
    },
    service::{
        ActorRow, ServiceError, authorized_fetch,
        coalitions::{self, MemberCollection},
        documents::{self, CollectionDocument, CollectionKind},
        inbox::{self, InboxOutcome, InboxRequest, InboxWriter},
        posts,
    },
};
use axum::{
    Extension,
    body::Body,
    extract::{OriginalUri, Path, Query},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub async fn actor(
    data: FedData,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !wants_activity_json(&headers) {
        let actor = documents::local_actor(&data, &username).await?;
        return Ok(Redirect::to(&format!("/@{}", actor.username)).into_response());
    }
    let document = documents::actor_document(&data, &username).await?;
    Ok(activity_json(&WithContext::new(
        actor_context_for(&document.kind),
        document,
    )))
}

/// The instance actor is served to anyone, signed request or not (FEP-2677):
/// servers fetch it to verify our signed fetches.
pub async fn instance_actor(data: FedData) -> ApiResult<Response> {
    let document = documents::instance_actor_document(&data).await?;
    Ok(activity_json(&WithContext::new(actor_context(), document)))
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

/// Who asks for one of `username`'s documents: the signer of a signed GET,
/// or None. Unsigned is refused with authorized fetch on (401), a signer
/// the instance does not federate with or `username` blocks with 403.
async fn viewer(
    data: &FedData,
    username: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> ApiResult<Option<ActorRow>> {
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let viewer = authorized_fetch::fetch_viewer(data, path_and_query, headers).await?;
    crate::service::blocks::check_fetch(data, username, viewer.as_ref()).await?;
    Ok(viewer)
}

async fn collection(
    data: FedData,
    username: String,
    kind: CollectionKind,
    page: Option<i64>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    viewer(&data, &username, &uri, &headers).await?;
    Ok(
        match documents::collection(&data, &username, kind, page).await? {
            CollectionDocument::Collection(c) => {
                activity_json(&WithContext::new(activity_context(), c))
            }
            CollectionDocument::Page(p) => activity_json(&WithContext::new(activity_context(), p)),
        },
    )
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    page: Option<String>,
    max_id: Option<i64>,
}

pub async fn outbox(
    data: FedData,
    Path(username): Path<String>,
    Query(q): Query<OutboxQuery>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    viewer(&data, &username, &uri, &headers).await?;
    let document = documents::outbox(&data, &username, q.page.is_some(), q.max_id).await?;
    Ok(activity_json(&WithContext::new(
        activity_context(),
        document,
    )))
}

/// A post's ActivityPub document (its page when the client asks for HTML).
/// With authorized fetch on, any post needs a signed request (401 without);
/// followers-only and direct posts need one by an actor they are addressed
/// to; to anyone else they do not exist (404). A deleted post answers 410
/// with a Tombstone.
pub async fn post(
    data: FedData,
    Path((username, id)): Path<(String, i64)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !wants_activity_json(&headers) {
        return Ok(Redirect::to(&format!("/@{username}/{id}")).into_response());
    }
    let viewer = viewer(&data, &username, &uri, &headers).await?;
    let view = posts::local_post_for(&data, &username, id, viewer.as_ref()).await?;
    if view.post.deleted_at.is_some() {
        let tombstone =
            crate::federation::notes::tombstone(&view.post).map_err(ServiceError::from)?;
        let mut response = activity_json(&WithContext::new(activity_context(), tombstone));
        *response.status_mut() = StatusCode::GONE;
        return Ok(response);
    }
    if view.post.ap_type == "Event" {
        let event = crate::service::events::event_document(&data, &view).await?;
        let context = if event.image.is_some() {
            crate::federation::protocol::with_media_terms(
                crate::federation::protocol::event::event_context(),
            )
        } else {
            crate::federation::protocol::event::event_context()
        };
        return Ok(activity_json(&WithContext::new(context, event)));
    }
    if view.post.ap_type == "Question" {
        let question = crate::service::polls::question_document(&data, &view).await?;
        return Ok(activity_json(&WithContext::new(
            crate::federation::protocol::question::question_context(),
            question,
        )));
    }
    let note = posts::note_document(&data, &view).await?;
    let context = if note.attachment.is_empty() {
        activity_context()
    } else {
        crate::federation::protocol::media_activity_context()
    };
    Ok(activity_json(&WithContext::new(context, note)))
}

/// A local post's `Create` at its id (`…/statuses/<id>/activity`), with
/// the object's visibility rules: public and unlisted to anyone (to any
/// signed fetch with authorized fetch on), others to a signed fetch by
/// someone who may see the post. A deleted post's
/// `Create` answers 410, like the post.
pub async fn post_activity(
    data: FedData,
    Path((username, id)): Path<(String, i64)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !wants_activity_json(&headers) {
        return Ok(Redirect::to(&format!("/@{username}/{id}")).into_response());
    }
    let viewer = viewer(&data, &username, &uri, &headers).await?;
    let view = posts::local_post_for(&data, &username, id, viewer.as_ref()).await?;
    if view.post.deleted_at.is_some() {
        return Err(ApiError::new(StatusCode::GONE, "the post was deleted"));
    }
    let context = match view.post.ap_type.as_str() {
        "Event" => crate::federation::protocol::event::event_context(),
        "Question" => crate::federation::protocol::question::question_context(),
        _ => activity_context(),
    };
    let create = documents::create_document(&data, &view)
        .await?
        .ok_or(ServiceError::NotFound("Record not found".into()))?;
    let has_media = create
        .pointer("/object/attachment")
        .and_then(|a| a.as_array())
        .is_some_and(|a| {
            a.iter()
                .any(|d| d.get("type").and_then(|t| t.as_str()) == Some("Document"))
        });
    let context = if has_media {
        crate::federation::protocol::with_media_terms(context)
    } else {
        context
    };
    Ok(activity_json(&WithContext::new(context, create)))
}

/// A coalition's relay `Announce` at its id
/// (`/users/<coalition>/relays/<n>/activity|object|<uuid>`).
pub async fn relay(
    data: FedData,
    Path((username, id, shape)): Path<(String, i64, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    viewer(&data, &username, &uri, &headers).await?;
    let url = format!("{}/relays/{id}/{shape}", data.urls.actor(&username));
    let url =
        url::Url::parse(&url).map_err(|_| ServiceError::NotFound("Record not found".into()))?;
    let announce = documents::relay_document(&data, &username, id, &url).await?;
    Ok(activity_json(&announce))
}

/// An event's participants (FEP-8a8e `attendees`): a `Collection` with its
/// `totalItems` and no items, to anyone who may see the event.
pub async fn participants(
    data: FedData,
    Path((username, id)): Path<(String, i64)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let viewer = viewer(&data, &username, &uri, &headers).await?;
    let (id, total) =
        crate::service::events::participants_count(&data, &username, id, viewer.as_ref()).await?;
    Ok(activity_json(&json!({
        "@context": activity_context(),
        "id": id,
        "type": "Collection",
        "totalItems": total,
    })))
}

pub async fn followers(
    data: FedData,
    Path(username): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    collection(
        data,
        username,
        CollectionKind::Followers,
        q.page,
        uri,
        headers,
    )
    .await
}

pub async fn following(
    data: FedData,
    Path(username): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    collection(
        data,
        username,
        CollectionKind::Following,
        q.page,
        uri,
        headers,
    )
    .await
}

/// A coalition's members: their ids when the list is public, or to a
/// signed fetch by a member; otherwise only how many (docs/coalitions.md).
pub async fn members(
    data: FedData,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    member_collection(data, username, MemberCollection::Members, uri, headers).await
}

async fn member_collection(
    data: FedData,
    username: String,
    which: MemberCollection,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let viewer = viewer(&data, &username, &uri, &headers).await?;
    let document = coalitions::collection_for(&data, &username, which, viewer.as_ref()).await?;
    Ok(activity_json(&WithContext::new(
        activity_context(),
        document,
    )))
}

/// One Member URL of a coalition's: the `Member` behind a membership or an
/// invitation (Mobilizon fetches it; docs/coalitions.md). For a
/// members-only coalition only a signed fetch by the member, its server or
/// a member of the coalition sees it; anyone else gets 404.
pub async fn member(
    data: FedData,
    Path((username, uuid)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let viewer = viewer(&data, &username, &uri, &headers).await?;
    let id = data.urls.member(&username, &uuid);
    let document = crate::service::invitations::member_document(&data, &id).await?;
    if !coalitions::may_fetch_member(&data, &document, viewer.as_ref()).await? {
        return Err(ServiceError::NotFound("Record not found".into()).into());
    }
    Ok(activity_json(&WithContext::new(
        activity_context(),
        document,
    )))
}

/// A coalition's admins (FEP-1b12 moderators), visible as its members are.
pub async fn moderators(
    data: FedData,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    member_collection(data, username, MemberCollection::Moderators, uri, headers).await
}

/// Pinned posts: none yet, but Mastodon fetches the collection it is told of.
pub async fn featured(
    data: FedData,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    viewer(&data, &username, &uri, &headers).await?;
    let actor = documents::local_actor(&data, &username).await?;
    Ok(activity_json(&json!({
        "@context": activity_context(),
        "id": data.urls.featured(&actor.username),
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    })))
}

pub async fn shared_inbox(
    data: FedData,
    Extension(writer): Extension<Arc<InboxWriter>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    receive(data, &writer, method, uri, headers, body).await
}

pub async fn actor_inbox(
    data: FedData,
    Extension(writer): Extension<Arc<InboxWriter>>,
    Path(username): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    documents::local_actor(&data, &username).await?;
    receive(data, &writer, method, uri, headers, body).await
}

fn is_activity_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/activity+json"
        || (media == "application/ld+json"
            && value.contains("https://www.w3.org/ns/activitystreams"))
}

async fn receive(
    data: FedData,
    writer: &InboxWriter,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    if !is_activity_content_type(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "inbox accepts application/activity+json or application/ld+json with the ActivityStreams profile",
        ));
    }
    let limit = data.settings.http.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|error| {
        if stopped_arriving(&error) {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body stopped arriving",
            )
        } else {
            ServiceError::PayloadTooLarge(format!("body is larger than {limit} bytes")).into()
        }
    })?;
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let outcome = inbox::receive(
        &data,
        writer,
        InboxRequest {
            method: method.as_str(),
            path_and_query,
            headers: &headers,
            body: &body,
        },
    )
    .await?;
    if let InboxOutcome::Ignored(reason) = &outcome {
        tracing::info!(%reason, "activity ignored");
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Whether reading a body failed because it stopped arriving (the server's
/// body timeout, see `http::server`), rather than because it was too large.
fn stopped_arriving(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}
