//! The one parser of client request bodies that may carry files (issue 16):
//! JSON, `application/x-www-form-urlencoded` or `multipart/form-data`,
//! turned into ordered text pairs plus files.
//!
//! Keys are kept as written (`media_ids[]`, `fields_attributes[0][name]`),
//! so handlers read Rails-style keys the same way whatever the encoding; a
//! JSON body is flattened into those keys (`{"media_ids": [1]}` gives
//! `media_ids[]`, `{"a": {"b": 1}}` gives `a[b]`). Everything is bounded:
//! the number of fields, the length of keys and of the text, and each file
//! at `media.max_upload_bytes` (413 beyond). Routes that take files lift
//! axum's `DefaultBodyLimit` with [`upload_body_limit`].

use crate::federation::FedData;
use crate::http::error::ApiError;
use axum::{
    extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Request},
    http::{StatusCode, header},
};
use serde_json::Value;

/// Fields (text and files) in one request at most.
const MAX_FIELDS: usize = 256;
/// Longest key, in bytes (`fields_attributes[3][value]` is 27).
const MAX_KEY: usize = 128;
/// All text of a request, in bytes.
const MAX_TEXT: usize = 1 << 20;
/// Files in one request at most (an avatar and a header).
const MAX_FILES: usize = 4;

/// A file part of a multipart body: the field's name and the bytes. Its file
/// name and content type are deliberately not kept: never trusted.
#[derive(Debug, Clone)]
pub struct FormFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A parsed body: text pairs in order, and files.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub files: Vec<FormFile>,
}

impl Form {
    /// The last value of `key` (as written, e.g. `description`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a list: `key[]` and `key` (repeated), in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        let bracketed = format!("{key}[]");
        self.fields
            .iter()
            .filter(|(k, _)| k == key || *k == bracketed)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The file sent as `name`, taken out of the form.
    pub fn take_file(&mut self, name: &str) -> Option<Vec<u8>> {
        let i = self.files.iter().position(|f| f.name == name)?;
        Some(self.files.remove(i).bytes)
    }

    fn push(&mut self, key: String, value: String, text: &mut usize) -> Result<(), ApiError> {
        *text += key.len() + value.len();
        if key.len() > MAX_KEY {
            return Err(invalid("a field name is too long"));
        }
        if *text > MAX_TEXT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request is too large",
            ));
        }
        if self.fields.len() + self.files.len() >= MAX_FIELDS {
            return Err(invalid("too many fields"));
        }
        self.fields.push((key, value));
        Ok(())
    }
}

fn invalid(why: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("Validation failed: {why}"),
    )
}

/// The body limit of routes taking files. axum's default (2 MB) is lifted
/// there because [`Form`] bounds the body itself, with the configured
/// upload limit: each file at `media.max_upload_bytes`, at most
/// `MAX_FILES` of them, and `MAX_TEXT` of text. Other routes keep the default.
pub fn upload_body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::disable()
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut form = Form::default();
        let mut text = 0;
        if content_type.starts_with("multipart/form-data") {
            let (mut parts, body) = req.into_parts();
            let data = FedData::from_request_parts(&mut parts, state)
                .await
                .map_err(|_| {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no instance data")
                })?;
            let max_file = data.settings.media.max_upload_bytes;
            let req = Request::from_parts(parts, body);
            let mut multipart = Multipart::from_request(req, state)
                .await
                .map_err(|e| invalid(&e.body_text()))?;
            while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
                let name = field.name().unwrap_or("").to_string();
                let is_file = field.file_name().is_some();
                if is_file && form.files.len() >= MAX_FILES {
                    return Err(invalid("too many files"));
                }
                let cap = if is_file {
                    max_file
                } else {
                    MAX_TEXT - text.min(MAX_TEXT)
                };
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if bytes.len() + chunk.len() > cap {
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            if is_file {
                                format!("File is larger than {max_file} bytes")
                            } else {
                                "Request is too large".to_string()
                            },
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if is_file {
                    if name.len() > MAX_KEY {
                        return Err(invalid("a field name is too long"));
                    }
                    if form.fields.len() + form.files.len() >= MAX_FIELDS {
                        return Err(invalid("too many fields"));
                    }
                    form.files.push(FormFile { name, bytes });
                } else {
                    let value = String::from_utf8(bytes)
                        .map_err(|_| invalid("a field is not UTF-8 text"))?;
                    form.push(name, value, &mut text)?;
                }
            }
            return Ok(form);
        }
        let query = req.uri().query().map(str::to_string);
        let bytes = axum::body::to_bytes(req.into_body(), MAX_TEXT)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request is too large"))?;
        if content_type.starts_with("application/json") && !bytes.is_empty() {
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|e| invalid(&e.to_string()))?;
            let Value::Object(map) = value else {
                return Err(invalid("the body is not a JSON object"));
            };
            for (k, v) in map {
                flatten(&mut form, k, v, &mut text, 0)?;
            }
        } else {
            let source: &[u8] = if bytes.is_empty() {
                query.as_deref().unwrap_or("").as_bytes()
            } else {
                &bytes
            };
            for (k, v) in url::form_urlencoded::parse(source) {
                form.push(k.into_owned(), v.into_owned(), &mut text)?;
            }
        }
        Ok(form)
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request is too large")
    } else {
        invalid(&e.body_text())
    }
}

/// A JSON value as Rails-style bracketed pairs; nesting is bounded.
fn flatten(
    form: &mut Form,
    key: String,
    value: Value,
    text: &mut usize,
    depth: usize,
) -> Result<(), ApiError> {
    if depth > 4 {
        return Err(invalid("the body is nested too deeply"));
    }
    match value {
        Value::Null => Ok(()),
        Value::String(s) => form.push(key, s, text),
        Value::Bool(b) => form.push(key, b.to_string(), text),
        Value::Number(n) => form.push(key, n.to_string(), text),
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        flatten(form, format!("{key}[{i}]"), item, text, depth + 1)?
                    }
                    scalar => flatten(form, format!("{key}[]"), scalar, text, depth + 1)?,
                }
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(form, format!("{key}[{k}]"), v, text, depth + 1)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_flattens_to_bracketed_keys() {
        let mut form = Form::default();
        let mut text = 0;
        let v: Value = serde_json::json!({"media_ids": ["1", 2], "fields_attributes": [{"name": "a", "value": "b"}], "x": null});
        let Value::Object(map) = v else {
            unreachable!()
        };
        for (k, v) in map {
            flatten(&mut form, k, v, &mut text, 0).unwrap();
        }
        assert_eq!(form.all("media_ids"), vec!["1", "2"]);
        assert_eq!(form.get("fields_attributes[0][name]"), Some("a"));
        assert_eq!(form.get("x"), None);
    }
}
