//! Media (issue 16): images checked, decoded under limits and re-encoded from
//! pixels ([`process`]), and the blob store they are kept in ([`MediaStore`]).
//!
//! This is the only module that names the `image`, `blurhash` and
//! `object_store` crates (scripts/check-layers). It knows nothing of the
//! database: services decide what is stored where.

mod process;
mod store;

pub use process::{Probe, probe, process};
pub use store::{MediaStore, StoreError, content_type_of_key, new_key, valid_key};

/// What an image is for: it decides the sizes it is cut to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A post's attachment: at most 3840×2160's area, a 640×360-area preview.
    Attachment,
    /// A profile picture: cropped to 400×400, static.
    Avatar,
    /// A profile banner: cropped to 1500×500, static.
    Header,
    /// An event's banner: like an attachment, static.
    Banner,
    /// A remote image shown through our proxy: like an attachment.
    Remote,
}

impl Purpose {
    /// The storage prefix of the blobs made for this purpose.
    pub fn prefix(self) -> &'static str {
        match self {
            Purpose::Attachment => "attachments",
            Purpose::Avatar => "avatars",
            Purpose::Header => "headers",
            Purpose::Banner => "banners",
            Purpose::Remote => "cache",
        }
    }
}

/// An image made safe to store and serve: re-encoded from pixels, so no
/// metadata of the upload survives, with its preview and blurhash.
#[derive(Debug, Clone)]
pub struct Processed {
    /// `image/jpeg`, `image/png` or `image/gif`.
    pub content_type: &'static str,
    /// The extension matching `content_type`, for the storage key.
    pub ext: &'static str,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The preview (always static).
    pub small: Vec<u8>,
    pub small_content_type: &'static str,
    pub small_ext: &'static str,
    pub small_width: u32,
    pub small_height: u32,
    pub blurhash: Option<String>,
    /// An animated GIF, kept animated.
    pub animated: bool,
}

/// Why an upload was refused; shown to the client (422).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refused {
    #[error("File is not an image")]
    NotAnImage,
    #[error("File type {0} is not supported (JPEG, PNG, WebP and GIF are)")]
    Unsupported(&'static str),
    #[error("Image is too large: {what}")]
    TooLarge { what: String },
    #[error("File is invalid: {0}")]
    Corrupt(String),
}

/// The limits processing works under; taken from `[media]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest width × height.
    pub max_pixels: u64,
}

impl Limits {
    pub fn from_settings(settings: &crate::config::MediaSettings) -> Limits {
        Limits {
            max_pixels: settings.max_pixels,
        }
    }
}
