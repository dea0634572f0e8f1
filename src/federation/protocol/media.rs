//! Media attachments on notes and events: `Document` (Mastodon), `Image`
//! (Mobilizon's banner, Pleroma), read leniently and bounded.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

/// At most this many attachments of a remote post are kept; the rest are
/// dropped (Mastodon sends at most 4, others up to 16).
pub const MAX_REMOTE_ATTACHMENTS: usize = 16;

/// The longest alt text kept, in characters (Mastodon's `description_limit`).
pub const MAX_ALT_CHARS: usize = 1500;

/// The longest blurhash kept (4×3 components is 28 characters; 9×9 is 166).
pub const MAX_BLURHASH_CHARS: usize = 200;

/// The largest width or height believed.
pub const MAX_SIDE: u32 = 65_535;

/// A media attachment: `{"type":"Document","mediaType":"image/jpeg","url":…,
/// "name":"alt text","blurhash":…,"width":…,"height":…,"focalPoint":[x,y]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentJson {
    /// `Document` as kuvend sends it; `Image`, `Video` and `Audio` are read too.
    #[serde(rename = "type")]
    pub kind: String,
    /// The MIME type (`image/jpeg`); absent from some senders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The file; on input the first http(s) URL of a string, a `Link` or an array.
    pub url: Url,
    /// The alt text (Mastodon also reads `summary`; "Banner" from Mobilizon is
    /// a label, not a description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A blurred preview, as Mastodon computes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Mastodon's focal point `[x, y]`, each in −1..1 (y = 1 is the top).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_point: Option<[f64; 2]>,
}

/// The types read as attachments; `Link`, `PropertyValue` and others are skipped.
const MEDIA_TYPES: [&str; 4] = ["Document", "Image", "Video", "Audio"];

fn http(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// The first http(s) URL of a `url` value: a string, a `Link` (`href`), or
/// an array of those.
fn first_http(value: &Value) -> Option<(Url, Option<String>)> {
    match value {
        Value::String(s) => http(s).map(|u| (u, None)),
        Value::Object(map) => map
            .get("href")
            .and_then(Value::as_str)
            .and_then(http)
            .map(|u| {
                let media_type = map
                    .get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                (u, media_type)
            }),
        Value::Array(items) => items.iter().take(8).find_map(first_http),
        _ => None,
    }
}

fn bounded_text(value: Option<&Value>, max: usize) -> Option<String> {
    let text = value?.as_str()?.trim();
    (!text.is_empty()).then(|| text.chars().take(max).collect())
}

fn side(value: Option<&Value>) -> Option<u32> {
    value?
        .as_u64()
        .filter(|n| (1..=u64::from(MAX_SIDE)).contains(n))
        .map(|n| n as u32)
}

impl DocumentJson {
    /// Reads one attachment leniently; None if it is not media or has no
    /// http(s) URL. Every field is bounded; a malformed one is absent.
    pub fn from_value(value: &Value) -> Option<DocumentJson> {
        let map = value.as_object()?;
        let kind = map.get("type")?.as_str()?;
        if !MEDIA_TYPES.contains(&kind) {
            return None;
        }
        let (url, link_type) = first_http(map.get("url")?)?;
        let media_type = bounded_text(map.get("mediaType"), 100)
            .or(link_type)
            .filter(|t| {
                t.len() <= 100
                    && t.contains('/')
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c))
            });
        // Mastodon reads `summary` first, then `name`.
        let name = bounded_text(map.get("summary"), MAX_ALT_CHARS)
            .or_else(|| bounded_text(map.get("name"), MAX_ALT_CHARS));
        let blurhash = map
            .get("blurhash")
            .and_then(Value::as_str)
            .filter(|b| {
                (6..=MAX_BLURHASH_CHARS).contains(&b.len())
                    && b.chars()
                        .all(|c| c.is_ascii_graphic() && c != '"' && c != '<')
            })
            .map(str::to_string);
        let focal_point = map
            .get("focalPoint")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 2)
            .and_then(|a| Some([a[0].as_f64()?, a[1].as_f64()?]))
            .filter(|p| p.iter().all(|v| v.is_finite() && (-1.0..=1.0).contains(v)));
        Some(DocumentJson {
            kind: kind.to_string(),
            media_type,
            url,
            name,
            blurhash,
            width: side(map.get("width")),
            height: side(map.get("height")),
            focal_point,
        })
    }

    /// Reads a list (or a single object) of attachments: media only, at
    /// most [`MAX_REMOTE_ATTACHMENTS`], in order.
    pub fn list_from_value(value: &Value) -> Vec<DocumentJson> {
        match value {
            Value::Array(items) => items
                .iter()
                .filter_map(DocumentJson::from_value)
                .take(MAX_REMOTE_ATTACHMENTS)
                .collect(),
            Value::Object(_) => DocumentJson::from_value(value).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// Serde: `attachment` read with [`DocumentJson::list_from_value`].
pub fn deserialize_documents<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<DocumentJson>, D::Error> {
    Ok(DocumentJson::list_from_value(&Value::deserialize(d)?))
}

/// Mobilizon's order for an event's banner: the media attachment named
/// `Banner`; else `image` if it is a Document or Image; else the first
/// Document or Image attachment. The index into `attachments` is given
/// when the banner is one of them. A banner named "Banner" carries no alt text.
pub fn banner_of(
    attachments: &[DocumentJson],
    image: Option<&Value>,
) -> Option<(DocumentJson, Option<usize>)> {
    let picture = |d: &DocumentJson| matches!(d.kind.as_str(), "Document" | "Image");
    if let Some(i) = attachments
        .iter()
        .position(|d| picture(d) && d.name.as_deref() == Some("Banner"))
    {
        let mut banner = attachments[i].clone();
        banner.name = None;
        return Some((banner, Some(i)));
    }
    if let Some(mut banner) = image.and_then(DocumentJson::from_value).filter(picture) {
        if banner.name.as_deref() == Some("Banner") {
            banner.name = None;
        }
        let index = attachments.iter().position(|d| d.url == banner.url);
        return Some((banner, index));
    }
    attachments
        .iter()
        .position(picture)
        .map(|i| (attachments[i].clone(), Some(i)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_reading_keeps_media_only_and_bounds_fields() {
        let list = DocumentJson::list_from_value(&json!([
            {"type": "Link", "name": "Website", "href": "https://x.example"},
            {"type": "Document", "mediaType": "image/jpeg",
             "url": [{"type": "Link", "href": "javascript:alert(1)"},
                     {"type": "Link", "href": "https://m.example/a.jpg", "mediaType": "image/jpeg"}],
             "summary": "a cat", "name": "ignored", "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
             "width": 640, "height": 99999999, "focalPoint": [0.5, 7.0]},
            {"type": "Image", "url": "data:image/png;base64,xx"},
            {"type": "PropertyValue", "name": "a", "value": "b"}
        ]));
        assert_eq!(list.len(), 1);
        let d = &list[0];
        assert_eq!(d.url.as_str(), "https://m.example/a.jpg");
        assert_eq!(d.name.as_deref(), Some("a cat"));
        assert_eq!(d.width, Some(640));
        assert_eq!(d.height, None);
        assert_eq!(d.focal_point, None);
        assert!(d.blurhash.is_some());
        let many: Vec<Value> = (0..40)
            .map(|i| json!({"type": "Document", "url": format!("https://m.example/{i}.png")}))
            .collect();
        assert_eq!(
            DocumentJson::list_from_value(&Value::Array(many)).len(),
            MAX_REMOTE_ATTACHMENTS
        );
    }

    #[test]
    fn banner_follows_mobilizons_order() {
        let a = DocumentJson::list_from_value(&json!([
            {"type": "Document", "url": "https://m.example/first.jpg", "name": "first"},
            {"type": "Document", "url": "https://m.example/banner.jpg", "name": "Banner"}
        ]));
        let (banner, index) = banner_of(&a, None).unwrap();
        assert_eq!(banner.url.as_str(), "https://m.example/banner.jpg");
        assert_eq!((banner.name, index), (None, Some(1)));
        let image = json!({"type": "Image", "url": "https://m.example/image.jpg", "name": "alt"});
        let (banner, index) = banner_of(&a[..1], Some(&image)).unwrap();
        assert_eq!(banner.url.as_str(), "https://m.example/image.jpg");
        assert_eq!((banner.name.as_deref(), index), (Some("alt"), None));
        let (banner, _) = banner_of(&a[..1], None).unwrap();
        assert_eq!(banner.url.as_str(), "https://m.example/first.jpg");
    }
}
