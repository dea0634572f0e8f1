//! Client applications, OAuth tokens and the authorization server's metadata.

use serde::Serialize;

/// A client application. Registration answers with its credentials too;
/// `verify_credentials` shows only what the app may know of itself.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    /// Database id, as a string; on registration only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The application's name.
    pub name: String,
    /// The application's website, if any.
    pub website: Option<String>,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Redirect URIs, newline-separated (deprecated form); on registration only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// OAuth client id, on registration only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OAuth client secret, on registration only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Web Push VAPID public key: empty, kuvend has no Web Push.
    pub vapid_key: String,
}

impl Application {
    /// An app as it may see itself. Scopes are stored space-separated and
    /// redirect URIs one per line.
    pub fn new(name: &str, website: Option<&str>, scopes: &str, redirect_uris: &str) -> Self {
        Application {
            id: None,
            name: name.to_string(),
            website: website.map(str::to_string),
            scopes: scopes.split_whitespace().map(str::to_string).collect(),
            redirect_uri: None,
            redirect_uris: redirect_uris.lines().map(str::to_string).collect(),
            client_id: None,
            client_secret: None,
            vapid_key: String::new(),
        }
    }
}

/// An OAuth access token.
#[derive(Debug, Clone, Serialize)]
pub struct Token {
    /// The bearer token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// When it was issued, as a Unix timestamp.
    pub created_at: i64,
}

impl Token {
    /// A freshly issued bearer token.
    pub fn bearer(access_token: String, scope: String, created_at: chrono::NaiveDateTime) -> Self {
        Token {
            access_token,
            token_type: "Bearer".into(),
            scope,
            created_at: created_at.and_utc().timestamp(),
        }
    }
}

/// A refused token request, as RFC 6749 (section 5.2) words it.
#[derive(Debug, Clone, Serialize)]
pub struct OAuthError {
    /// The error code, e.g. `invalid_grant`.
    pub error: String,
    /// What went wrong, for people.
    pub error_description: String,
}

/// What `/.well-known/oauth-authorization-server` tells apps (RFC 8414).
#[derive(Debug, Clone, Serialize)]
pub struct AuthorizationServerMetadata {
    /// The server's identifier: its base URL with a trailing slash.
    pub issuer: String,
    /// Where users log in and consent.
    pub authorization_endpoint: String,
    /// Where codes and credentials become tokens.
    pub token_endpoint: String,
    /// Where tokens are revoked.
    pub revocation_endpoint: String,
    /// Where apps register (Mastodon's `POST /api/v1/apps`).
    pub app_registration_endpoint: String,
    /// Scopes an app may ask for.
    pub scopes_supported: &'static [&'static str],
    /// OAuth response types: only `code`.
    pub response_types_supported: &'static [&'static str],
    /// How the code may be returned.
    pub response_modes_supported: &'static [&'static str],
    /// PKCE methods: only `S256`.
    pub code_challenge_methods_supported: &'static [&'static str],
    /// Grants the token endpoint takes.
    pub grant_types_supported: &'static [&'static str],
    /// How apps may authenticate at the token endpoint.
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
}
