//! Profiles (issue 16): the avatar and header images, the profile fields
//! (Mastodon's `PropertyValue`s) and their `rel="me"` verification.
//!
//! A local account's fields are written as plain text and rendered here to
//! HTML: a field whose value is an http(s) URL becomes a link with
//! `rel="me nofollow noopener noreferrer"`, anything else is escaped text.
//! A remote actor's fields arrive as HTML and are cleaned by
//! [`remote_fields`]. Both are stored in `actors.fields_json`.

use super::{ServiceError, ServiceResult, acting::Acting, text_to_html};
use crate::context::Kuvend;
pub use crate::federation::fields::{
    DESCRIPTION_LIMIT, FIELD_LIMIT, Field, MAX_FIELDS, excerpt, fields_json, fields_of, links_back,
    local_fields, render_value, strip_tags,
};
use crate::federation::{fetch, fields::link_of};
use crate::storage::models::ActorRow;
use chrono::Utc;

/// Bytes read of a page a field links to (Mastodon reads 1 MB).
const VERIFY_MAX_BYTES: usize = 1024 * 1024;

/// Changes to a local account's profile; `None` leaves a part as it is.
#[derive(Debug, Default, Clone)]
pub struct ProfileChanges {
    /// The display name, plain text.
    pub display_name: Option<String>,
    /// The bio, plain text (rendered to paragraphs).
    pub note: Option<String>,
    /// Whether follow requests wait for approval.
    pub locked: Option<bool>,
    /// The new list of fields (name, value); `Some(vec![])` clears them.
    pub fields: Option<Vec<(String, String)>>,
    /// A new avatar's bytes (any supported image; cropped and re-encoded).
    pub avatar: Option<Vec<u8>>,
    /// A new header's bytes.
    pub header: Option<Vec<u8>>,
    /// The avatar's alt text.
    pub avatar_description: Option<String>,
    /// The header's alt text.
    pub header_description: Option<String>,
    /// Removes the avatar.
    pub clear_avatar: bool,
    /// Removes the header.
    pub clear_header: bool,
}

impl ProfileChanges {
    /// Whether the profile fields change (and so need verifying).
    pub fn touches_fields(&self) -> bool {
        self.fields.is_some()
    }
}

/// The images of a profile after a change, written with it.
#[derive(Debug, Clone)]
pub struct ProfileImages {
    /// The avatar's URL, served by us.
    pub icon_url: Option<String>,
    /// The avatar upload.
    pub avatar_media_id: Option<i64>,
    /// The header's URL, served by us.
    pub image_url: Option<String>,
    /// The header upload.
    pub header_media_id: Option<i64>,
}

fn description(text: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(text) = text else { return Ok(None) };
    let text = crate::sanitize::plain(text.trim());
    if text.chars().count() > DESCRIPTION_LIMIT {
        return Err(ServiceError::Unprocessable(format!(
            "Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT} characters)"
        )));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// Changes a local account's profile (owners only) and sends the new actor
/// document to its followers (`Update`), in one transaction. A coalition's
/// [`super::orgs::GroupSettings`] change with it. Images are processed and
/// stored before the transaction (a refused image changes nothing). The
/// caller starts [`verify_links`] after this returns when fields changed.
pub async fn update(
    ctx: &Kuvend,
    acting: &Acting,
    changes: ProfileChanges,
    group: super::orgs::GroupSettings,
) -> ServiceResult<ActorRow> {
    let actor = acting.require(crate::model::Role::Owner)?.clone();
    // A display name is text, wherever it comes from: no markup.
    let display_name = changes
        .display_name
        .as_deref()
        .map(crate::sanitize::plain)
        .unwrap_or_else(|| actor.display_name.clone());
    if display_name.chars().count() > 100 {
        return Err(ServiceError::Unprocessable(
            "Validation failed: display_name is too long (maximum is 100 characters)".into(),
        ));
    }
    let summary = changes
        .note
        .as_deref()
        .map(text_to_html)
        .unwrap_or_else(|| actor.summary.clone());
    let locked = changes.locked.unwrap_or(actor.manually_approves_followers);
    let fields = match &changes.fields {
        Some(pairs) => {
            Some(local_fields(pairs, &fields_of(&actor)).map_err(ServiceError::Unprocessable)?)
        }
        None => None,
    };
    let mut images = ProfileImages {
        icon_url: actor.icon_url.clone(),
        avatar_media_id: actor.avatar_media_id,
        image_url: actor.image_url.clone(),
        header_media_id: actor.header_media_id,
    };
    // Alt texts are kept on the uploads themselves.
    let avatar_description = description(changes.avatar_description.as_deref())?;
    let header_description = description(changes.header_description.as_deref())?;
    if changes.clear_avatar {
        images.icon_url = None;
        images.avatar_media_id = None;
    }
    if changes.clear_header {
        images.image_url = None;
        images.header_media_id = None;
    }
    if let Some(bytes) = changes.avatar {
        let (id, url) = store_image(ctx, acting, bytes, true, avatar_description).await?;
        images.avatar_media_id = Some(id);
        images.icon_url = Some(url);
    }
    if let Some(bytes) = changes.header {
        let (id, url) = store_image(ctx, acting, bytes, false, header_description).await?;
        images.header_media_id = Some(id);
        images.image_url = Some(url);
    }
    let id = actor.id;
    let mut outbox = super::outbox::Outbox::default();
    let row = crate::transaction!(ctx.db, ServiceError, |q| {
        q.update_profile(id, &display_name, &summary, locked)
            .await?;
        let row = q
            .set_profile_extras(
                id,
                &crate::storage::actors::ProfileExtras {
                    icon_url: images.icon_url.clone(),
                    avatar_media_id: images.avatar_media_id,
                    image_url: images.image_url.clone(),
                    header_media_id: images.header_media_id,
                    fields_json: fields
                        .as_deref()
                        .map(fields_json)
                        .unwrap_or_else(|| actor.fields_json.clone()),
                },
            )
            .await?;
        // A coalition's own settings are not all in its document, but they
        // change with the rest or not at all.
        group.write(&mut q, id).await?;
        // A coalition's document carries its collections: built here, so
        // every profile change sends the whole document.
        let update = super::coalitions::update_activity(&mut q, &ctx.urls, &row).await?;
        outbox
            .queue(
                &mut q,
                &row,
                &update,
                &[super::outbox::Audience::FollowersOf(&row)],
            )
            .await?;
        Ok(row)
    })?;
    outbox.committed(ctx);
    Ok(row)
}

/// Processes and stores an avatar (`avatar`) or header upload; returns its
/// media id and the URL it is served at.
async fn store_image(
    ctx: &Kuvend,
    acting: &Acting,
    bytes: Vec<u8>,
    avatar: bool,
    description: Option<String>,
) -> ServiceResult<(i64, String)> {
    let _ = (ctx, acting, bytes, avatar, description);
    Err(ServiceError::Unprocessable(
        "Validation failed: uploads are not available yet".into(),
    ))
}

/// Starts [`verify_links`] in the background (after the commit that changed
/// the fields); failures are logged, never shown.
pub fn spawn_verify(ctx: &Kuvend, actor_id: i64) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        if let Err(error) = verify_links(&ctx, actor_id).await {
            tracing::info!(actor_id, %error, "profile link verification failed");
        }
    });
}

/// Checks each unverified field that is a link (https only; http too when
/// the instance itself runs without https, as in tests): the page must link
/// back to the account's profile page or actor id with `rel="me"`. Sets
/// `verified_at` on those that do; sends no `Update` (as Mastodon). Returns
/// how many fields are verified afterwards.
pub async fn verify_links(ctx: &Kuvend, actor_id: i64) -> ServiceResult<usize> {
    let row = ctx.db.conn().await?.q().actor_by_id(actor_id).await?;
    if !row.local {
        return Ok(0);
    }
    let mut targets = vec![row.ap_id.to_lowercase()];
    if let Some(profile) = &row.profile_url {
        targets.push(profile.to_lowercase());
    }
    targets.push(ctx.urls.profile(&row.username).as_str().to_lowercase());
    let mut found = Vec::new();
    // At most MAX_FIELDS fetches per save, each counted per host.
    for field in fields_of(&row)
        .into_iter()
        .filter(|f| f.verified_at.is_none())
        .take(MAX_FIELDS)
    {
        let Some(url) = link_of(&field.value_text) else {
            continue;
        };
        if url.scheme() != "https" && ctx.settings.instance.https {
            continue;
        }
        match fetch::fetch_html(ctx, &url, VERIFY_MAX_BYTES).await {
            Ok(page) => {
                // The page's host must be the link's: a redirect elsewhere
                // would let any page vouch for the link.
                if page.url.host_str() == url.host_str() && links_back(&page.object, &targets) {
                    found.push(field.value_text.clone());
                }
            }
            Err(error) => tracing::debug!(%url, %error, "rel=me page not fetched"),
        }
    }
    let now = Utc::now();
    let verified = crate::transaction!(ctx.db, ServiceError, |q| {
        // Read again: the profile may have changed while we fetched.
        let row = q.actor_by_id(actor_id).await?;
        let mut fields = fields_of(&row);
        for field in fields.iter_mut() {
            if field.verified_at.is_none() && found.contains(&field.value_text) {
                field.verified_at = Some(now);
            }
        }
        q.set_actor_fields(actor_id, &fields_json(&fields)).await?;
        Ok(fields.iter().filter(|f| f.verified_at.is_some()).count())
    })?;
    Ok(verified)
}
