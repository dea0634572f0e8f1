//! Media uploads (issue 16): who may upload, the limits, processing on a
//! blocking thread behind the semaphore, the blobs in the store and the row
//! that describes them; alt text and focal points; the URLs clients see,
//! with remote media always through our proxy (readers' addresses never
//! reach other servers).

use super::{ServiceError, ServiceResult, acting::Acting};
use crate::{
    context::Kuvend,
    media::{self, Limits, Processed, Purpose, Refused, new_key},
    model::Role,
    storage::media::{self as rows, MediaFile, NewMedia},
};
use aws_lc_rs::{digest, hmac};
use base64::Engine;

pub use crate::media::Purpose as MediaPurpose;
pub use crate::storage::media::MediaRow;

/// Uploads at least this large are processed in the background (202), as
/// are animated GIFs: answering them would hold the client's request for
/// seconds.
const BACKGROUND_BYTES: usize = 4 << 20;

/// An upload as the client sent it: bytes only (its file name and content
/// type are never used), with optional alt text and focal point (`"x,y"`).
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub description: Option<String>,
    pub focus: Option<String>,
}

/// Checks, processes and stores an upload for `purpose`, answering with its
/// row: `ready`, or `processing` for an animated GIF or a large attachment
/// (finished by a background task; then `GET /api/v1/media/:id`). Editors
/// and owners may upload; refused images are 422 with the reason.
pub async fn upload(
    ctx: &Kuvend,
    acting: &Acting,
    purpose: Purpose,
    up: Upload,
) -> ServiceResult<MediaRow> {
    let account = acting.require(Role::Editor)?;
    let settings = &ctx.settings.media;
    if up.bytes.len() > settings.max_upload_bytes {
        return Err(ServiceError::PayloadTooLarge(format!(
            "File is larger than {} bytes",
            settings.max_upload_bytes
        )));
    }
    let description = check_description(ctx, up.description.as_deref())?;
    let focus = parse_focus(up.focus.as_deref())?;
    let limits = Limits::from_settings(settings);
    let bytes = std::sync::Arc::new(up.bytes);
    let probe = {
        let bytes = bytes.clone();
        blocking(ctx, move || media::probe(&bytes, &limits)).await?
    };
    let background =
        purpose == Purpose::Attachment && (probe.animated || bytes.len() >= BACKGROUND_BYTES);
    if background {
        let row = ctx
            .db
            .conn()
            .await?
            .q()
            .insert_media(&NewMedia {
                account_id: account.id,
                state: rows::PROCESSING.into(),
                file: None,
                description,
                focus,
            })
            .await?;
        let ctx = ctx.clone();
        let id = row.id;
        tokio::spawn(async move {
            let file = match blocking(&ctx, move || media::process(&bytes, purpose, &limits)).await
            {
                Ok(processed) => match store(&ctx, purpose, processed).await {
                    Ok(file) => Some(file),
                    Err(e) => {
                        tracing::warn!(id, error = %e, "storing processed media failed");
                        None
                    }
                },
                Err(e) => {
                    tracing::info!(id, reason = %e, "background media processing refused");
                    None
                }
            };
            let recorded = match ctx.db.conn().await {
                Ok(mut conn) => conn.q().finish_media(id, file.as_ref()).await,
                Err(e) => Err(e),
            };
            if let Err(e) = recorded {
                tracing::warn!(id, error = %e, "recording processed media failed");
            }
        });
        return Ok(row);
    }
    let processed = blocking(ctx, move || media::process(&bytes, purpose, &limits)).await?;
    let file = store(ctx, purpose, processed).await?;
    Ok(ctx
        .db
        .conn()
        .await?
        .q()
        .insert_media(&NewMedia {
            account_id: account.id,
            state: rows::READY.into(),
            file: Some(file),
            description,
            focus,
        })
        .await?)
}

/// Runs image work on a blocking thread, at most `media.processing_concurrent`
/// at once; a refusal is a 422 with its reason.
async fn blocking<T: Send + 'static>(
    ctx: &Kuvend,
    work: impl FnOnce() -> Result<T, Refused> + Send + 'static,
) -> ServiceResult<T> {
    let _permit = ctx
        .media_processing
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .map_err(|refused| ServiceError::Unprocessable(refused.to_string()))
}

/// Writes both blobs under new keys (`{prefix}/{hex}.ext` and
/// `{prefix}/{hex}_small.ext`).
async fn store(ctx: &Kuvend, purpose: Purpose, p: Processed) -> ServiceResult<MediaFile> {
    let file_key = new_key(purpose.prefix(), p.ext);
    let small_key = format!(
        "{}_small.{}",
        file_key
            .rsplit_once('.')
            .map_or(file_key.as_str(), |(stem, _)| stem),
        p.small_ext
    );
    let size_bytes = p.bytes.len() as i64;
    ctx.media
        .put(&file_key, p.bytes, p.content_type)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    ctx.media
        .put(&small_key, p.small, p.small_content_type)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    Ok(MediaFile {
        file_key,
        small_key,
        content_type: p.content_type.into(),
        width: p.width as i32,
        height: p.height as i32,
        small_width: p.small_width as i32,
        small_height: p.small_height as i32,
        size_bytes,
        blurhash: p.blurhash,
    })
}

/// Processes and stores an image for a profile or an event (B and C's
/// callers), without a row: what the actor or event row then names.
pub async fn process_and_store(
    ctx: &Kuvend,
    purpose: Purpose,
    bytes: Vec<u8>,
) -> ServiceResult<MediaFile> {
    if bytes.len() > ctx.settings.media.max_upload_bytes {
        return Err(ServiceError::PayloadTooLarge(format!(
            "File is larger than {} bytes",
            ctx.settings.media.max_upload_bytes
        )));
    }
    let limits = Limits::from_settings(&ctx.settings.media);
    let processed = blocking(ctx, move || media::process(&bytes, purpose, &limits)).await?;
    store(ctx, purpose, processed).await
}

/// The account's own attachment; anyone else's is "not found" (404), so ids
/// tell nothing.
pub async fn own(ctx: &Kuvend, acting: &Acting, id: i64) -> ServiceResult<MediaRow> {
    match ctx.db.conn().await?.q().media_by_id(id).await? {
        Some(row) if row.account_id == acting.account.id && row.remote_url.is_none() => Ok(row),
        _ => Err(ServiceError::NotFound("Record not found".into())),
    }
}

/// Changes alt text and/or focal point (`None`: unchanged).
pub async fn update(
    ctx: &Kuvend,
    acting: &Acting,
    id: i64,
    description: Option<&str>,
    focus: Option<&str>,
) -> ServiceResult<MediaRow> {
    acting.require(Role::Editor)?;
    let row = own(ctx, acting, id).await?;
    let description = match description {
        Some(d) => check_description(ctx, Some(d))?,
        None => row.description.clone(),
    };
    let focus = match focus {
        Some(f) => parse_focus(Some(f))?,
        None => row.focus_x.zip(row.focus_y),
    };
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .update_media_meta(id, description.as_deref(), focus)
        .await?;
    conn.q()
        .media_by_id(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("Record not found".into()))
}

/// Deletes an unattached upload and its blobs (an attached one is 422, as
/// Mastodon answers).
pub async fn delete(ctx: &Kuvend, acting: &Acting, id: i64) -> ServiceResult<MediaRow> {
    acting.require(Role::Editor)?;
    let row = own(ctx, acting, id).await?;
    if row.post_id.is_some() {
        return Err(ServiceError::Unprocessable(
            "Media attachment is currently used by a status".into(),
        ));
    }
    ctx.db.conn().await?.q().delete_media(id).await?;
    for key in [&row.file_key, &row.small_key].into_iter().flatten() {
        if let Err(e) = ctx.media.delete(key).await {
            tracing::warn!(key, error = %e, "deleting a media blob failed");
        }
    }
    Ok(row)
}

/// Marks uploads left `processing` by a stopped server as `failed`.
pub async fn fail_stuck(ctx: &Kuvend) -> ServiceResult<usize> {
    Ok(ctx.db.conn().await?.q().fail_stuck_media().await?)
}

/// Alt text, trimmed, within `media.description_limit` characters; blank is none.
fn check_description(ctx: &Kuvend, description: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let limit = ctx.settings.media.description_limit;
    if d.chars().count() > limit {
        return Err(ServiceError::Unprocessable(format!(
            "Validation failed: Description is too long (maximum is {limit} characters)"
        )));
    }
    Ok(Some(d.to_string()))
}

/// A focal point `"x,y"`, each in -1.0..=1.0 (Mastodon's form); blank is none.
fn parse_focus(focus: Option<&str>) -> ServiceResult<Option<(f64, f64)>> {
    let Some(f) = focus.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ServiceError::Unprocessable(
            "Validation failed: Focus must be \"x,y\" with each between -1 and 1".into(),
        )
    };
    let (x, y) = f.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok(Some((x, y)))
}

/// `(url, preview_url)` of an attachment: our store's for uploads (none
/// while processing), our proxy's for remote media.
pub fn url_of(ctx: &Kuvend, row: &MediaRow) -> (Option<String>, Option<String>) {
    if let Some(remote) = &row.remote_url {
        return (
            Some(proxied(ctx, remote)),
            Some(proxied_variant(ctx, remote, "small")),
        );
    }
    (
        row.file_key.as_deref().map(|k| ctx.media.url(k)),
        row.small_key.as_deref().map(|k| ctx.media.url(k)),
    )
}

/// Sets the proxy's key from the instance actor's private key (start-up).
pub fn set_proxy_key(ctx: &Kuvend, private_key_pem: &str) {
    let mut d = digest::Context::new(&digest::SHA256);
    d.update(b"kuvend media proxy");
    d.update(private_key_pem.as_bytes());
    let _ = ctx.media_proxy_key.set(d.finish().as_ref().to_vec());
}

fn proxy_key(ctx: &Kuvend) -> hmac::Key {
    // Without start-up (never in a running server), a key of this process
    // only: its URLs are then simply not shared with other processes.
    let key = ctx.media_proxy_key.get_or_init(|| {
        let mut k = vec![0u8; 32];
        rand::Rng::fill(&mut rand::thread_rng(), k.as_mut_slice());
        k
    });
    hmac::Key::new(hmac::HMAC_SHA256, key)
}

fn proxy_mac(ctx: &Kuvend, remote: &str) -> String {
    let tag = hmac::sign(&proxy_key(ctx), remote.as_bytes());
    tag.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Our proxy's URL for a remote image's original:
/// `{base}/media/proxy/{mac}/{base64url(url)}/original`.
pub fn proxied(ctx: &Kuvend, remote: &str) -> String {
    proxied_variant(ctx, remote, "original")
}

/// Our proxy's URL for a remote image, `variant` `original` or `small`.
pub fn proxied_variant(ctx: &Kuvend, remote: &str, variant: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(remote.as_bytes());
    format!(
        "{}/media/proxy/{}/{b64}/{variant}",
        ctx.settings.base_url(),
        proxy_mac(ctx, remote)
    )
}

/// The remote URL a proxy path names, if its MAC is ours (else `None`: we
/// are no open proxy).
pub fn unproxy(ctx: &Kuvend, mac: &str, b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    let remote = String::from_utf8(bytes).ok()?;
    let expected = proxy_mac(ctx, &remote);
    // Constant time: the MAC is the only secret here.
    let same = expected.len() == mac.len()
        && expected
            .bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    same.then_some(remote)
}

/// A stored blob to serve under `/media/{key}`, with the content type its
/// key was given; 404 for keys we could not have made (no traversal, no
/// names from input) and for missing blobs.
pub async fn blob(ctx: &Kuvend, key: &str) -> ServiceResult<(Vec<u8>, &'static str)> {
    let not_found = || ServiceError::NotFound("Record not found".into());
    if !media::valid_key(key) {
        return Err(not_found());
    }
    let content_type = media::content_type_of_key(key).ok_or_else(not_found)?;
    let bytes = ctx
        .media
        .get(key)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .ok_or_else(not_found)?;
    Ok((bytes, content_type))
}
