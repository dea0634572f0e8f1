//! What apps read about the server before and after logging in: the
//! instance (`/api/v1/instance`, `/api/v2/instance`), the lists kuvend keeps
//! empty (custom emoji, filters, lists), the viewer's preferences, and the
//! placeholder images of accounts without one.

use super::entities::{
    AccountsConfiguration, ApiVersions, CustomEmoji, DomainBlock, InstanceConfiguration,
    InstanceV1, InstanceV1Stats, InstanceV1Urls, InstanceV2, InstanceV2Contact,
    InstanceV2Registrations, InstanceV2Thumbnail, InstanceV2Usage, InstanceV2Users,
    MediaAttachmentsConfiguration, PollsConfiguration, Preferences, StatusesConfiguration,
    TranslationConfiguration, UrlsConfiguration, version_string,
};
use super::{Auth, MaybeAuth, service};
use crate::config::{Registrations, ShowDomainBlocks};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{documents, posts};
use axum::{
    Json, Router,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::Value;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/instance", get(instance_v1))
        .route("/api/v1/instance/", get(instance_v1))
        .route("/api/v2/instance", get(instance_v2))
        .route("/api/v2/instance/", get(instance_v2))
        .route("/api/v1/instance/domain_blocks", get(domain_blocks))
        .route("/api/v1/custom_emojis", get(custom_emojis))
        .route("/api/v1/filters", get(empty_list))
        .route("/api/v2/filters", get(empty_list))
        .route("/api/v1/lists", get(empty_list))
        .route("/api/v1/preferences", get(preferences))
        .route("/avatars/original/missing.png", get(missing_image))
        .route("/headers/original/missing.png", get(missing_image))
}

async fn instance_v1(data: FedData) -> ApiResult<Json<InstanceV1>> {
    let settings = &data.settings.instance;
    let (users, posts) = instance_counts(&data).await?;
    Ok(Json(InstanceV1 {
        uri: settings.domain.clone(),
        title: settings.name.clone(),
        short_description: settings.description.clone(),
        description: settings.description.clone(),
        email: String::new(),
        version: version_string(),
        // No streaming yet: apps fall back to polling.
        urls: InstanceV1Urls {
            streaming_api: None,
        },
        stats: InstanceV1Stats {
            user_count: users,
            status_count: posts,
            domain_count: 0,
        },
        thumbnail: None,
        languages: vec!["en".into()],
        registrations: settings.registrations != Registrations::Closed,
        approval_required: settings.registrations == Registrations::Approval,
        invites_enabled: false,
        configuration: configuration(&data.settings.media),
        contact_account: None,
        rules: Vec::new(),
    }))
}

async fn instance_v2(data: FedData) -> ApiResult<Json<InstanceV2>> {
    let settings = &data.settings.instance;
    let (users, _) = instance_counts(&data).await?;
    Ok(Json(InstanceV2 {
        domain: settings.domain.clone(),
        title: settings.name.clone(),
        version: version_string(),
        source_url: settings.source_url.clone(),
        description: settings.description.clone(),
        usage: InstanceV2Usage {
            users: InstanceV2Users {
                active_month: users,
            },
        },
        thumbnail: InstanceV2Thumbnail {
            url: format!("{}/avatars/original/missing.png", data.urls.base()),
        },
        languages: vec!["en".into()],
        configuration: configuration(&data.settings.media),
        registrations: InstanceV2Registrations {
            enabled: settings.registrations != Registrations::Closed,
            approval_required: settings.registrations == Registrations::Approval,
            message: None,
        },
        contact: InstanceV2Contact {
            email: String::new(),
            account: None,
        },
        rules: Vec::new(),
        api_versions: ApiVersions {
            mastodon: 2,
            pleroma_events: 1,
            groups: 1,
            pleroma_groups: 1,
        },
    }))
}

/// Local users and local posts, as NodeInfo counts them.
async fn instance_counts(data: &FedData) -> ApiResult<(i64, i64)> {
    let document = documents::nodeinfo(data).await?;
    Ok((document.usage.users.total, document.usage.local_posts))
}

/// The limits apps check before they offer a feature: zero for what kuvend
/// does not have yet (video, polls, pinned posts); media's are `[media]`'s.
fn configuration(media: &crate::config::MediaSettings) -> InstanceConfiguration {
    InstanceConfiguration {
        statuses: StatusesConfiguration {
            max_characters: posts::MAX_POST_CHARS,
            max_media_attachments: media.max_attachments as i64,
            characters_reserved_per_url: 23,
        },
        media_attachments: MediaAttachmentsConfiguration {
            supported_mime_types: ["image/jpeg", "image/png", "image/webp", "image/gif"]
                .map(String::from)
                .to_vec(),
            image_size_limit: media.max_upload_bytes as i64,
            image_matrix_limit: media.max_pixels as i64,
            video_size_limit: 0,
            video_frame_rate_limit: 0,
            video_matrix_limit: 0,
            description_limit: media.description_limit as i64,
        },
        polls: PollsConfiguration {
            max_options: 0,
            max_characters_per_option: 0,
            min_expiration: 300,
            max_expiration: 2_629_746,
        },
        accounts: AccountsConfiguration {
            max_featured_tags: 0,
            max_pinned_statuses: 0,
            // Profile fields (issue 16, service::profile): Mastodon's 4 / 255 / 255.
            max_profile_fields: 4,
            profile_field_name_limit: 255,
            profile_field_value_limit: 255,
        },
        urls: UrlsConfiguration { streaming: None },
        translation: TranslationConfiguration { enabled: false },
    }
}

/// The instance's suspensions and silences, with public reasons only, to
/// whom `federation.show_domain_blocks` allows (as Mastodon: 404 to others).
async fn domain_blocks(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
) -> ApiResult<Json<Vec<DomainBlock>>> {
    let shown = match data.settings.federation.show_domain_blocks {
        ShowDomainBlocks::All => true,
        ShowDomainBlocks::Users => session.as_ref().is_some_and(|s| s.user.is_some()),
        ShowDomainBlocks::Disabled => false,
    };
    if !shown {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Record not found"));
    }
    let blocks = crate::service::domain_policy::public_blocks(&data).await?;
    Ok(Json(
        blocks
            .into_iter()
            .map(|b| DomainBlock {
                domain: b.domain,
                digest: b.digest,
                severity: b.severity,
                comment: b.comment,
            })
            .collect(),
    ))
}

async fn custom_emojis() -> Json<Vec<CustomEmoji>> {
    Json(Vec::new())
}

/// Filters and lists: kuvend has none yet, and answers as Mastodon does for
/// an account without any.
async fn empty_list() -> Json<Vec<Value>> {
    Json(Vec::new())
}

async fn preferences(Auth(session): Auth) -> ApiResult<Json<Preferences>> {
    session.require("read:accounts").map_err(service)?;
    Ok(Json(Preferences::default()))
}

async fn missing_image() -> Response {
    // A 1×1 transparent PNG, so apps have an image to show.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    ([(header::CONTENT_TYPE, "image/png")], PNG).into_response()
}
