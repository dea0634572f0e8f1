//! Where media blobs live: the local disk or an S3-compatible bucket, behind
//! one `object_store` interface, so that the services and the serving route
//! do not care which.

use crate::config::{MediaBackend, MediaSettings};
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path,
};
use std::sync::Arc;

/// A blob store failure (logged; clients see a 500 or a 404).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("media store: {0}")]
    Backend(String),
    #[error("media store: invalid key {0:?}")]
    BadKey(String),
}

/// The blob store and the URL blobs are served from.
#[derive(Clone, Debug)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    /// Ends with `/`.
    base_url: String,
    /// Whether the store keeps content types (S3; the local disk's store
    /// refuses attributes, and `/media/{key}` types by extension anyway).
    attributes: bool,
}

impl MediaStore {
    /// The store `[media]` describes; the local directory is created if
    /// missing. `instance_url` is `https://domain`, for the default base URL.
    pub fn new(settings: &MediaSettings, instance_url: &str) -> Result<MediaStore, StoreError> {
        let store: Arc<dyn ObjectStore> = match settings.backend {
            MediaBackend::Local => {
                std::fs::create_dir_all(&settings.path).map_err(|e| {
                    StoreError::Backend(format!("cannot create {}: {e}", settings.path))
                })?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(&settings.path)
                        .map_err(|e| StoreError::Backend(e.to_string()))?,
                )
            }
            MediaBackend::S3 => Arc::new(
                AmazonS3Builder::new()
                    .with_endpoint(settings.s3_endpoint.trim_end_matches('/'))
                    .with_bucket_name(&settings.s3_bucket)
                    .with_region(&settings.s3_region)
                    .with_access_key_id(&settings.s3_access_key)
                    .with_secret_access_key(&settings.s3_secret_key)
                    // Path-style (`endpoint/bucket/key`): what MinIO, Garage
                    // and moto serve without wildcard DNS.
                    .with_virtual_hosted_style_request(false)
                    // Plain HTTP only when the operator wrote an http:// endpoint.
                    .with_allow_http(settings.s3_endpoint.starts_with("http://"))
                    .build()
                    .map_err(|e| StoreError::Backend(e.to_string()))?,
            ),
        };
        let base_url = if settings.base_url.is_empty() {
            format!("{}/media/", instance_url.trim_end_matches('/'))
        } else {
            format!("{}/", settings.base_url.trim_end_matches('/'))
        };
        Ok(MediaStore {
            store,
            base_url,
            attributes: settings.backend == MediaBackend::S3,
        })
    }

    /// Stores a blob with its content type and a long cache lifetime (the
    /// key never names other content).
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let path = path(key)?;
        let mut attributes = Attributes::new();
        if self.attributes {
            attributes.insert(Attribute::ContentType, content_type.to_string().into());
            attributes.insert(
                Attribute::CacheControl,
                "public, max-age=31536000, immutable".to_string().into(),
            );
        }
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&path, PutPayload::from(bytes), options)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(())
    }

    /// The blob, or `None` if there is none under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = path(key)?;
        match self.store.get(&path).await {
            Ok(result) => Ok(Some(
                result
                    .bytes()
                    .await
                    .map_err(|e| StoreError::Backend(e.to_string()))?
                    .to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StoreError::Backend(e.to_string())),
        }
    }

    /// Deletes a blob; deleting a missing one is no error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::Backend(e.to_string())),
        }
    }

    /// The URL clients fetch `key` from.
    pub fn url(&self, key: &str) -> String {
        format!("{}{key}", self.base_url)
    }
}

/// The store's path for a key we generated; anything else is refused, so no
/// caller can reach outside the media directory.
fn path(key: &str) -> Result<Path, StoreError> {
    if !valid_key(key) {
        return Err(StoreError::BadKey(key.to_string()));
    }
    Path::parse(key).map_err(|_| StoreError::BadKey(key.to_string()))
}

/// A new storage key, `{prefix}/{32 hex}.{ext}`: never made from input.
pub fn new_key(prefix: &str, ext: &str) -> String {
    format!("{prefix}/{}.{ext}", uuid::Uuid::new_v4().simple())
}

/// Whether `key` has the shape [`new_key`] makes: a lower-case prefix, 32
/// hex digits (an optional `_small` suffix) and one of our extensions.
pub fn valid_key(key: &str) -> bool {
    let Some((prefix, file)) = key.split_once('/') else {
        return false;
    };
    let Some((stem, ext)) = file.split_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_small").unwrap_or(stem);
    !prefix.is_empty()
        && prefix.len() <= 32
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && stem.len() == 32
        && stem
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && content_type_of_key(key).is_some()
        && matches!(ext, "jpg" | "png" | "gif")
}

/// The content type of a blob, from the extension we gave its key.
pub fn content_type_of_key(key: &str) -> Option<&'static str> {
    match key.rsplit_once('.')?.1 {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let k = new_key("attachments", "jpg");
        assert!(valid_key(&k), "{k}");
        assert!(valid_key(&k.replace(".jpg", "_small.jpg")));
        for bad in [
            "../etc/passwd",
            "attachments/../../x.jpg",
            "attachments/0123456789abcdef0123456789abcdef.html",
            "a/b/0123456789abcdef0123456789abcdef.jpg",
            "/0123456789abcdef0123456789abcdef.jpg",
        ] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
