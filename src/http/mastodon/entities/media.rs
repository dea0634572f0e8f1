//! MediaAttachment (docs.joinmastodon.org/entities/MediaAttachment).

use crate::federation::FedData;
use crate::service::media::{MediaRow, url_of};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct MediaAttachment {
    /// The attachment's id, as a string.
    pub id: String,
    /// `image` (kuvend stores images only).
    #[serde(rename = "type")]
    pub kind: String,
    /// The image; `null` while it is processed (after a 202).
    pub url: Option<String>,
    /// The preview, at most 640×360's area.
    pub preview_url: Option<String>,
    /// Always `null`: remote media are shown through our proxy only, so
    /// that clients never load them from the other server.
    pub remote_url: Option<String>,
    /// Always `null` (Mastodon's legacy short link).
    pub preview_remote_url: Option<String>,
    /// Always `null`.
    pub text_url: Option<String>,
    /// Sizes and focal point.
    pub meta: MediaMeta,
    /// Alt text.
    pub description: Option<String>,
    /// The placeholder shown while loading.
    pub blurhash: Option<String>,
}

/// `meta` of a MediaAttachment.
#[derive(Debug, Clone, Serialize, Default)]
pub struct MediaMeta {
    /// The focal point, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<MediaFocus>,
    /// The stored image's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<MediaSize>,
    /// The preview's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small: Option<MediaSize>,
}

/// A focal point, each coordinate in -1..=1 (0,0 is the centre).
#[derive(Debug, Clone, Serialize)]
pub struct MediaFocus {
    /// Left (-1) to right (1).
    pub x: f64,
    /// Bottom (-1) to top (1).
    pub y: f64,
}

/// One variant's dimensions.
#[derive(Debug, Clone, Serialize)]
pub struct MediaSize {
    /// Pixels across.
    pub width: i32,
    /// Pixels down.
    pub height: i32,
    /// `"{width}x{height}"`.
    pub size: String,
    /// width / height.
    pub aspect: f64,
}

impl MediaSize {
    fn new(width: Option<i32>, height: Option<i32>) -> Option<MediaSize> {
        let (width, height) = (width?, height?);
        (width > 0 && height > 0).then(|| MediaSize {
            width,
            height,
            size: format!("{width}x{height}"),
            aspect: f64::from(width) / f64::from(height),
        })
    }
}

impl MediaAttachment {
    pub fn new(data: &FedData, row: &MediaRow) -> MediaAttachment {
        let (url, preview_url) = url_of(data, row);
        MediaAttachment {
            id: row.id.to_string(),
            kind: row.kind.clone(),
            url,
            preview_url,
            remote_url: None,
            preview_remote_url: None,
            text_url: None,
            meta: MediaMeta {
                focus: row
                    .focus_x
                    .zip(row.focus_y)
                    .map(|(x, y)| MediaFocus { x, y }),
                original: MediaSize::new(row.width, row.height),
                small: MediaSize::new(row.small_width, row.small_height),
            },
            description: row.description.clone(),
            blurhash: row.blurhash.clone(),
        }
    }
}
