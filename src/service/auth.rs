//! Logins and OAuth 2 as Mastodon does it: apps, authorization codes (with
//! PKCE), password and client-credentials grants, scoped bearer tokens. Every
//! secret is stored as a SHA-256 hash; passwords with argon2.

use super::{ServiceError, ServiceResult};
use crate::model::Role;
use crate::{
    context::Kuvend,
    storage::{
        accounts::{AppRow, TokenRow, UserRow},
        models::ActorRow,
        now,
    },
};
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use aws_lc_rs::digest;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use std::net::IpAddr;

/// The scopes kuvend grants; `read`, `write`, `follow` and `push` cover their
/// granular forms (`read:statuses`, …).
pub const KNOWN_SCOPES: [&str; 4] = ["read", "write", "follow", "push"];

/// kuvend's granular scopes beyond Mastodon's: reading and changing events
/// (`/api/v1/kuvend/events`, Rebased's `/api/v1/pleroma/events`). `read`
/// and `write` cover them, as they cover `read:statuses`.
pub const READ_EVENTS: &str = "read:events";
pub const WRITE_EVENTS: &str = "write:events";

/// Reading and changing coalitions and their invitations
/// (`/api/v1/kuvend/coalitions`, `/api/v1/kuvend/invitations`, pl-api's
/// `/api/v1/groups`); `read` and `write` cover them.
pub const READ_COALITIONS: &str = "read:coalitions";
pub const WRITE_COALITIONS: &str = "write:coalitions";

/// Whether `granted` (space-separated) covers `required`.
pub fn scope_allows(granted: &str, required: &str) -> bool {
    granted.split_whitespace().any(|g| {
        g == required
            || required.starts_with(&format!("{g}:"))
            // Mastodon: `follow` covers the follow-related write and read scopes.
            || (g == "follow" && matches!(required, "write:follows" | "read:follows" | "write:blocks" | "read:blocks" | "write:mutes" | "read:mutes"))
    })
}

/// Checks requested scopes: each must be known; empty means `read`.
pub fn normalize_scopes(requested: Option<&str>) -> ServiceResult<String> {
    let requested = requested.unwrap_or("read").replace('+', " ");
    let mut scopes: Vec<&str> = requested.split_whitespace().collect();
    if scopes.is_empty() {
        scopes.push("read");
    }
    for scope in &scopes {
        let base = scope.split(':').next().unwrap_or(scope);
        if !KNOWN_SCOPES.contains(&base) && *scope != "profile" {
            return Err(ServiceError::BadRequest(format!("unknown scope {scope:?}")));
        }
    }
    scopes.dedup();
    Ok(scopes.join(" "))
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a secret is stored.
pub fn secret_hash(secret: &str) -> String {
    digest::digest(&digest::SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("{e}"))
}

/// Runs one password hash computation (Argon2: about 19 MiB and tens of
/// milliseconds) on a blocking thread, under the instance's cap on hashes at
/// once: attempts beyond the cap wait for a permit, holding no hash memory.
async fn password_work<T: Send + 'static>(
    ctx: &Kuvend,
    work: impl FnOnce() -> T + Send + 'static,
) -> ServiceResult<T> {
    let permit = ctx
        .client_limits
        .password_checks
        .clone()
        .acquire_owned()
        .await
        .map_err(internal)?;
    // The permit goes with the work: a client that hangs up drops this
    // future, but the hash already running holds its memory until it ends.
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(permit);
        result
    })
    .await
    .map_err(internal)
}

pub async fn hash_password(ctx: &Kuvend, password: String) -> ServiceResult<String> {
    password_work(ctx, move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await?
}

async fn verify_password(ctx: &Kuvend, password: String, hash: String) -> bool {
    password_work(ctx, move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Counts one attempt against `limit` for `key`; over it, a 429 saying so.
fn within_rate<K: std::hash::Hash + Eq + Clone>(
    limit: &Option<std::sync::Arc<crate::limits::KeyedLimit<K>>>,
    key: &K,
    message: &str,
) -> ServiceResult<()> {
    crate::limits::check(limit, key)
        .map_err(|wait| ServiceError::TooManyRequests(message.to_string(), wait))
}

/// A role as given on the command line: `owner` or `editor`.
fn parse_role(role: &str) -> ServiceResult<Role> {
    Role::parse(role).ok_or_else(|| {
        ServiceError::Unprocessable(format!("role must be owner or editor, not {role:?}"))
    })
}

/// Creates a login; with `org`, a staff member of that organisation.
pub async fn create_user(
    ctx: &Kuvend,
    email: &str,
    password: &str,
    org: Option<(&str, &str)>,
) -> ServiceResult<UserRow> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return Err(ServiceError::Unprocessable(format!(
            "{email:?} is not an e-mail address"
        )));
    }
    check_password_rules(password)?;
    let membership = match org {
        Some((org, role)) => Some((
            super::orgs::organization(ctx, org).await?,
            parse_role(role)?,
        )),
        None => None,
    };
    let hash = hash_password(ctx, password.to_string()).await?;
    let user = crate::transaction!(ctx.db, |q| {
        if q.user_by_email(&email).await?.is_some() {
            return Err(crate::storage::StorageError::Conflict(format!(
                "{email} already has a login"
            )));
        }
        let user = q.insert_user(&email, &hash, None, true).await?;
        if let Some((org, role)) = &membership {
            q.put_membership(user.id, org.id, role.as_str()).await?;
        }
        Ok(user)
    })?;
    Ok(user)
}

/// Adds (or changes) a staff membership.
pub async fn add_membership(ctx: &Kuvend, email: &str, org: &str, role: &str) -> ServiceResult<()> {
    let role = parse_role(role)?;
    let org = super::orgs::organization(ctx, org).await?;
    let user = user_by_email(ctx, email).await?;
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .put_membership(user.id, org.id, role.as_str())
        .await?;
    Ok(())
}

/// Takes a login off an organisation's staff; its tokens for that
/// organisation stop working on their next request.
pub async fn remove_membership(ctx: &Kuvend, email: &str, org: &str) -> ServiceResult<()> {
    let org = super::orgs::organization(ctx, org).await?;
    let user = user_by_email(ctx, email).await?;
    let mut conn = ctx.db.conn().await?;
    if !conn.q().remove_membership(user.id, org.id).await? {
        return Err(ServiceError::NotFound(format!(
            "{} is not on the staff of {}",
            user.email, org.username
        )));
    }
    Ok(())
}

/// Disables a login: it cannot log in, and its tokens stop working on their
/// next request. What it wrote stays.
pub async fn disable_user(ctx: &Kuvend, email: &str) -> ServiceResult<()> {
    let user = user_by_email(ctx, email).await?;
    let mut conn = ctx.db.conn().await?;
    conn.q().disable_user(user.id).await?;
    Ok(())
}

/// Revokes every token of a login (it can log in again); returns how many.
pub async fn revoke_tokens(ctx: &Kuvend, email: &str) -> ServiceResult<usize> {
    let user = user_by_email(ctx, email).await?;
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().revoke_user_tokens(user.id).await?)
}

/// Sets a login's password. Its tokens are revoked too, as whoever had the
/// old password may have made some.
pub async fn set_password(ctx: &Kuvend, email: &str, password: &str) -> ServiceResult<usize> {
    check_password_rules(password)?;
    let user = user_by_email(ctx, email).await?;
    let hash = hash_password(ctx, password.to_string()).await?;
    let revoked = crate::transaction!(ctx.db, |q| {
        q.set_password_hash(user.id, &hash).await?;
        q.revoke_user_tokens(user.id).await
    })?;
    Ok(revoked)
}

fn check_password_rules(password: &str) -> ServiceResult<()> {
    if password.chars().count() < 8 {
        return Err(ServiceError::Unprocessable(
            "password must have at least 8 characters".into(),
        ));
    }
    Ok(())
}

async fn user_by_email(ctx: &Kuvend, email: &str) -> ServiceResult<UserRow> {
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no login {}", email.trim())))
}

pub async fn list_users(ctx: &Kuvend) -> ServiceResult<Vec<(UserRow, Vec<(ActorRow, String)>)>> {
    let mut conn = ctx.db.conn().await?;
    let users = conn.q().list_users().await?;
    let mut out = Vec::new();
    for user in users {
        let memberships = conn.q().memberships(user.id).await?;
        out.push((user, memberships));
    }
    Ok(out)
}

/// Checks a login; the same error whether the e-mail or the password is wrong.
///
/// `from` is the client's address (None for the instance's own callers):
/// attempts are counted per address and per account asked for, before any
/// hash is computed, so that refused attempts cost next to nothing.
pub async fn login(
    ctx: &Kuvend,
    from: Option<IpAddr>,
    email: &str,
    password: &str,
) -> ServiceResult<UserRow> {
    let wrong = || ServiceError::Unauthorized("wrong e-mail or password".into());
    let email = email.trim().to_lowercase();
    let limits = &ctx.client_limits;
    if let Some(from) = from {
        within_rate(
            &limits.login_per_ip,
            &crate::limits::address_key(from),
            "too many login attempts from this address; try again later",
        )?;
    }
    // Counted for any name asked for, existing or not: the answer must not
    // tell which accounts exist.
    within_rate(
        &limits.login_per_account,
        &email,
        "too many login attempts for this account; try again later",
    )?;
    let user = {
        let mut conn = ctx.db.conn().await?;
        conn.q().user_by_email(&email).await?
    };
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not tell which was wrong.
        let _ = verify_password(ctx, password.to_string(), dummy_hash(ctx).await).await;
        return Err(wrong());
    };
    if !verify_password(ctx, password.to_string(), user.password_hash.clone()).await {
        return Err(wrong());
    }
    usable(user)
}

/// A login that may be used now: not disabled, and approved.
fn usable(user: UserRow) -> ServiceResult<UserRow> {
    if user.disabled_at.is_some() {
        return Err(ServiceError::Forbidden("this login is disabled".into()));
    }
    if !user.approved {
        return Err(ServiceError::Forbidden(
            "this login waits for approval".into(),
        ));
    }
    Ok(user)
}

/// A real hash of nothing anyone knows, to check unknown logins against.
async fn dummy_hash(ctx: &Kuvend) -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        hash_password(ctx, random_secret())
            .await
            .unwrap_or_default()
    })
    .await
    .clone()
}

/// The actors a user may act as: its own, then its organisations.
pub async fn acting_choices(
    ctx: &Kuvend,
    user: &UserRow,
) -> ServiceResult<Vec<(ActorRow, String)>> {
    let mut conn = ctx.db.conn().await?;
    let mut choices = Vec::new();
    if let Some(actor_id) = user.actor_id {
        choices.push((conn.q().actor_by_id(actor_id).await?, "self".to_string()));
    }
    choices.extend(conn.q().memberships(user.id).await?);
    Ok(choices)
}

/// Registers an app (`POST /api/v1/apps`); returns it with its secret, which
/// is shown once and stored only as a hash.
pub async fn register_app(
    ctx: &Kuvend,
    name: &str,
    redirect_uris: &str,
    scopes: Option<&str>,
    website: Option<&str>,
) -> ServiceResult<(AppRow, String)> {
    if name.trim().is_empty() {
        return Err(ServiceError::Unprocessable(
            "client_name must not be empty".into(),
        ));
    }
    let redirect_uris: Vec<&str> = redirect_uris.split_whitespace().collect();
    if redirect_uris.is_empty() {
        return Err(ServiceError::Unprocessable(
            "redirect_uris must not be empty".into(),
        ));
    }
    for uri in &redirect_uris {
        if *uri == "urn:ietf:wg:oauth:2.0:oob" {
            continue;
        }
        // Native apps use their own schemes (`myapp://callback`), but a
        // script, data or file URL is never a place to send a code to.
        match url::Url::parse(uri) {
            Err(_) => {
                return Err(ServiceError::Unprocessable(format!(
                    "redirect_uris: {uri:?} is not a URI"
                )));
            }
            Ok(parsed)
                if matches!(parsed.scheme(), "javascript" | "data" | "vbscript" | "file") =>
            {
                return Err(ServiceError::Unprocessable(format!(
                    "redirect_uris: the {} scheme is not allowed",
                    parsed.scheme()
                )));
            }
            Ok(_) => {}
        }
    }
    let scopes = normalize_scopes(scopes)?;
    let client_id = random_secret();
    let secret = random_secret();
    let mut conn = ctx.db.conn().await?;
    let app = conn
        .q()
        .insert_app(
            &client_id,
            &secret_hash(&secret),
            name.trim(),
            website,
            &redirect_uris.join("\n"),
            &scopes,
        )
        .await?;
    Ok((app, secret))
}

pub async fn app_by_client_id(ctx: &Kuvend, client_id: &str) -> ServiceResult<AppRow> {
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .app_by_client_id(client_id)
        .await?
        .ok_or_else(|| ServiceError::Unauthorized("unknown client_id".into()))
}

/// Checks that the requested scopes are within what the app registered.
fn scopes_within(app: &AppRow, scopes: &str) -> ServiceResult<()> {
    for scope in scopes.split_whitespace() {
        if !scope_allows(&app.scopes, scope) {
            return Err(ServiceError::BadRequest(format!(
                "scope {scope:?} was not registered by the app"
            )));
        }
    }
    Ok(())
}

fn check_redirect(app: &AppRow, redirect_uri: &str) -> ServiceResult<()> {
    if app.redirect_uris.lines().any(|u| u == redirect_uri) {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(
            "redirect_uri was not registered by the app".into(),
        ))
    }
}

/// What the consent page submits.
pub struct Grant<'a> {
    pub app: &'a AppRow,
    pub user: &'a UserRow,
    pub actor_id: i64,
    pub scopes: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
}

/// Issues an authorization code for `grant.actor_id`, which the user must be
/// allowed to act as.
pub async fn issue_code(ctx: &Kuvend, grant: Grant<'_>) -> ServiceResult<String> {
    check_redirect(grant.app, grant.redirect_uri)?;
    scopes_within(grant.app, grant.scopes)?;
    if let Some(method) = grant.code_challenge_method {
        if method != "S256" {
            return Err(ServiceError::BadRequest(
                "code_challenge_method must be S256".into(),
            ));
        }
    }
    let allowed = acting_choices(ctx, grant.user).await?;
    if !allowed.iter().any(|(a, _)| a.id == grant.actor_id) {
        return Err(ServiceError::Forbidden(
            "you cannot act as that account".into(),
        ));
    }
    let code = random_secret();
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .insert_code(
            &secret_hash(&code),
            grant.app.id,
            grant.user.id,
            grant.actor_id,
            grant.scopes,
            grant.redirect_uri,
            grant.code_challenge,
            now() + chrono::Duration::minutes(10),
        )
        .await?;
    Ok(code)
}

/// The parameters of `POST /oauth/token`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub scope: Option<String>,
    /// The client's address, for the password grant's rate limit; set by
    /// the HTTP layer, never read from the form.
    #[serde(skip)]
    pub from: Option<IpAddr>,
}

fn oauth_error(description: &str) -> ServiceError {
    ServiceError::BadRequest(description.to_string())
}

/// Exchanges a grant for a token. Returns the token and its scopes.
pub async fn exchange(ctx: &Kuvend, request: TokenRequest) -> ServiceResult<(String, TokenRow)> {
    let client_id = request
        .client_id
        .as_deref()
        .ok_or_else(|| oauth_error("client_id is required"))?;
    let app = app_by_client_id(ctx, client_id).await?;
    let secret_ok = request
        .client_secret
        .as_deref()
        .is_some_and(|s| secret_hash(s) == app.client_secret_hash);
    let (user_id, actor_id, scopes) = match request.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = request
                .code
                .as_deref()
                .ok_or_else(|| oauth_error("code is required"))?;
            let grant = {
                let mut conn = ctx.db.conn().await?;
                conn.q().take_code(&secret_hash(code)).await?
            }
            .filter(|g| g.app_id == app.id && g.expires_at > now())
            .ok_or_else(|| oauth_error("the code is unknown, used or expired"))?;
            if request
                .redirect_uri
                .as_deref()
                .is_some_and(|r| r != grant.redirect_uri)
            {
                return Err(oauth_error("redirect_uri does not match the authorization"));
            }
            match &grant.code_challenge {
                Some(challenge) => {
                    let verifier = request
                        .code_verifier
                        .as_deref()
                        .ok_or_else(|| oauth_error("code_verifier is required"))?;
                    let computed = URL_SAFE_NO_PAD
                        .encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
                    if &computed != challenge {
                        return Err(oauth_error("code_verifier does not match"));
                    }
                }
                None if !secret_ok => {
                    return Err(ServiceError::Unauthorized(
                        "client authentication failed".into(),
                    ));
                }
                None => {}
            }
            (Some(grant.user_id), Some(grant.actor_id), grant.scopes)
        }
        Some("password") => {
            if !secret_ok {
                return Err(ServiceError::Unauthorized(
                    "client authentication failed".into(),
                ));
            }
            // A wrong password is a bad grant (400), not a bad client (401).
            let user = login(
                ctx,
                request.from,
                request.username.as_deref().unwrap_or_default(),
                request.password.as_deref().unwrap_or_default(),
            )
            .await
            .map_err(|e| match e {
                ServiceError::Unauthorized(m) => ServiceError::BadRequest(m),
                other => other,
            })?;
            let scopes = normalize_scopes(request.scope.as_deref())?;
            scopes_within(&app, &scopes)?;
            // Without a consent page to choose on, the first account the user may act as.
            let choices = acting_choices(ctx, &user).await?;
            let any = !choices.is_empty();
            // A suspended account is never acted as (issue 15).
            let actor = choices
                .into_iter()
                .find(|(actor, _)| actor.suspended_at.is_none())
                .ok_or_else(|| {
                    ServiceError::Forbidden(if any {
                        SUSPENDED.into()
                    } else {
                        "this login has no account to act as".into()
                    })
                })?;
            (Some(user.id), Some(actor.0.id), scopes)
        }
        Some("client_credentials") => {
            if !secret_ok {
                return Err(ServiceError::Unauthorized(
                    "client authentication failed".into(),
                ));
            }
            let scopes = normalize_scopes(request.scope.as_deref())?;
            scopes_within(&app, &scopes)?;
            (None, None, scopes)
        }
        other => {
            return Err(oauth_error(&format!(
                "unsupported grant_type {:?}",
                other.unwrap_or("")
            )));
        }
    };
    let token = random_secret();
    let mut conn = ctx.db.conn().await?;
    let row = conn
        .q()
        .insert_token(&secret_hash(&token), app.id, user_id, actor_id, &scopes)
        .await?;
    Ok((token, row))
}

/// `POST /oauth/revoke`.
pub async fn revoke(
    ctx: &Kuvend,
    client_id: &str,
    client_secret: &str,
    token: &str,
) -> ServiceResult<()> {
    let app = app_by_client_id(ctx, client_id).await?;
    if secret_hash(client_secret) != app.client_secret_hash {
        return Err(ServiceError::Forbidden(
            "client authentication failed".into(),
        ));
    }
    let mut conn = ctx.db.conn().await?;
    conn.q().revoke_token(&secret_hash(token), app.id).await?;
    Ok(())
}

/// Who a bearer token speaks for.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: TokenRow,
    pub app: AppRow,
    pub user: Option<UserRow>,
    /// The account the token acts as (an organisation for staff).
    pub actor: Option<ActorRow>,
    /// What the login may do as that account: `Owner` of its own account,
    /// its staff role for an organisation. None for app-only tokens.
    pub role: Option<Role>,
}

impl Session {
    /// Requires a scope (403 otherwise).
    pub fn require(&self, scope: &str) -> ServiceResult<()> {
        if scope_allows(&self.token.scopes, scope) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "this action needs the {scope} scope"
            )))
        }
    }

    /// The acting account (422 for app-only tokens, as Mastodon answers).
    pub fn actor(&self) -> ServiceResult<&ActorRow> {
        self.actor.as_ref().ok_or_else(|| {
            ServiceError::Unprocessable("this method requires an authenticated user".into())
        })
    }

    /// The account whose eyes a read of statuses uses: the acting account
    /// if the token may read statuses, else none (a token without
    /// `read:statuses` sees what anyone sees, never a followers-only post).
    pub fn reader(&self) -> Option<ActorRow> {
        self.actor
            .clone()
            .filter(|_| scope_allows(&self.token.scopes, "read:statuses"))
    }

    /// Who acts, for a service that changes something: the account and the
    /// login's role there (422 for app-only tokens, as Mastodon answers).
    pub fn acting(&self) -> ServiceResult<super::acting::Acting> {
        let account = self.actor()?.clone();
        let role = self.role.ok_or_else(|| {
            ServiceError::Unprocessable("this method requires an authenticated user".into())
        })?;
        Ok(super::acting::Acting {
            account,
            role,
            user_id: self.user.as_ref().map(|u| u.id),
        })
    }
}

/// Resolves a bearer token; revoked and unknown tokens are 401.
/// Mastodon's answer to a suspended account's login (403).
const SUSPENDED: &str = "Your login is currently disabled";

pub async fn session(ctx: &Kuvend, token: &str) -> ServiceResult<Session> {
    let invalid = || ServiceError::Unauthorized("The access token is invalid".into());
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let token = q
        .token_by_hash(&secret_hash(token))
        .await?
        .ok_or_else(invalid)?;
    let app = q.app_by_id(token.app_id).await?;
    let user = match token.user_id {
        Some(id) => Some(q.user_by_id(id).await?),
        None => None,
    };
    let actor = match token.actor_id {
        Some(id) => Some(q.actor_by_id(id).await?),
        None => None,
    };
    if user.as_ref().is_some_and(|u| u.disabled_at.is_some()) {
        return Err(invalid());
    }
    if user.as_ref().is_some_and(|u| !u.approved) {
        return Err(ServiceError::Forbidden(
            "Your login is currently pending approval".into(),
        ));
    }
    // Checked at every request, so that a suspension takes effect at once,
    // whatever tokens were issued before it (issue 15).
    if actor.as_ref().is_some_and(|a| a.suspended_at.is_some()) {
        return Err(ServiceError::Forbidden(SUSPENDED.into()));
    }
    // Checked at every request, so that taking someone off the staff (or a
    // changed role) takes effect at once, whatever tokens they hold.
    let role = match (&user, &actor) {
        (Some(user), Some(actor)) if user.actor_id == Some(actor.id) => Some(Role::Owner),
        (Some(user), Some(actor)) => Some(
            q.membership_role(user.id, actor.id)
                .await?
                .and_then(|role| Role::parse(&role))
                .ok_or_else(invalid)?,
        ),
        _ => None,
    };
    Ok(Session {
        token,
        app,
        user,
        actor,
        role,
    })
}

/// The authorization request a login ticket was issued for: a ticket is
/// good only for the same app, redirect URI, scopes and PKCE challenge, so a
/// ticket taken from one app's flow (from a log, a shared screen, a
/// malicious page) cannot finish another's.
pub struct TicketFlow<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub code_challenge: &'a str,
}

impl TicketFlow<'_> {
    /// The flow, one field a line; none of the fields can hold a newline
    /// that matters (client ids and scopes are checked, a redirect URI with
    /// a newline is refused when the code is issued).
    fn binding(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.client_id, self.redirect_uri, self.scopes, self.code_challenge
        )
    }
}

/// A login ticket: proof, for a few minutes, that the consent form's user
/// logged in for this `flow`, so the organisation choice need not carry the
/// password. Signed with a key derived from the instance actor's private
/// key, so any process of the instance can check it.
pub async fn login_ticket(
    ctx: &Kuvend,
    user_id: i64,
    flow: &TicketFlow<'_>,
) -> ServiceResult<String> {
    let expires = chrono::Utc::now().timestamp() + 600;
    let payload = format!("{user_id}.{expires}");
    let tag = ticket_tag(ctx, &payload, flow).await?;
    Ok(format!("{payload}.{tag}"))
}

/// The login a ticket vouches for, if it is genuine, unexpired, issued for
/// this same `flow`, and the login may still be used.
pub async fn check_ticket(
    ctx: &Kuvend,
    ticket: &str,
    flow: &TicketFlow<'_>,
) -> ServiceResult<UserRow> {
    let invalid = || ServiceError::Unauthorized("the login expired; log in again".into());
    let (payload, tag) = ticket.rsplit_once('.').ok_or_else(invalid)?;
    let expected = ticket_tag(ctx, payload, flow).await?;
    if aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), tag.as_bytes())
        .is_err()
    {
        return Err(invalid());
    }
    let (user_id, expires) = payload.split_once('.').ok_or_else(invalid)?;
    let expires: i64 = expires.parse().map_err(|_| invalid())?;
    if expires < chrono::Utc::now().timestamp() {
        return Err(invalid());
    }
    let user_id: i64 = user_id.parse().map_err(|_| invalid())?;
    let mut conn = ctx.db.conn().await?;
    usable(conn.q().user_by_id(user_id).await?)
}

async fn ticket_tag(ctx: &Kuvend, payload: &str, flow: &TicketFlow<'_>) -> ServiceResult<String> {
    let mut conn = ctx.db.conn().await?;
    let instance = conn
        .q()
        .actor_by_ap_id(ctx.urls.instance_actor().as_str())
        .await?
        .and_then(|a| a.private_key_pem)
        .ok_or_else(|| internal("no instance key"))?;
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        format!("login-ticket:{instance}").as_bytes(),
    );
    let signed = format!("{payload}\n{}", flow.binding());
    Ok(URL_SAFE_NO_PAD.encode(aws_lc_rs::hmac::sign(&key, signed.as_bytes())))
}

/// What someone registering from an app gives.
pub struct Registration<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub agreement: bool,
    /// The client's address, for the registration rate limit (None for the
    /// instance's own callers, which are not limited).
    pub from: Option<IpAddr>,
}

/// Registers a supporter: a `Person` actor and a login, approved at once or
/// waiting for an operator, as the configuration says. Returns the login.
pub async fn register(ctx: &Kuvend, registration: Registration<'_>) -> ServiceResult<UserRow> {
    use crate::config::Registrations;
    let approved = match ctx.settings.instance.registrations {
        Registrations::Closed => {
            return Err(ServiceError::Forbidden(
                "registrations are closed on this instance".into(),
            ));
        }
        Registrations::Open => true,
        Registrations::Approval => false,
    };
    // Before any checking or hashing, so that refused attempts cost nothing.
    if let Some(from) = registration.from {
        within_rate(
            &ctx.client_limits.registrations_per_ip,
            &crate::limits::address_key(from),
            "too many registrations from this address; try again later",
        )?;
    }
    if !registration.agreement {
        return Err(ServiceError::Unprocessable(
            "Validation failed: agreement must be accepted".into(),
        ));
    }
    let email = registration.email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(ServiceError::Unprocessable(format!(
            "Validation failed: email {email:?} is not valid"
        )));
    }
    if registration.password.chars().count() < 8 {
        return Err(ServiceError::Unprocessable(
            "Validation failed: password is too short (minimum is 8 characters)".into(),
        ));
    }
    {
        let mut conn = ctx.db.conn().await?;
        if conn.q().user_by_email(&email).await?.is_some() {
            return Err(ServiceError::Unprocessable(
                "Validation failed: email is already taken".into(),
            ));
        }
    }
    let hash = hash_password(ctx, registration.password.to_string()).await?;
    let actor = super::orgs::create_local_actor(
        ctx,
        crate::model::ActorKind::Person,
        super::orgs::NewOrganization {
            username: registration.username.to_string(),
            display_name: registration.username.to_string(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await
    .map_err(|e| match e {
        ServiceError::Unprocessable(m) | ServiceError::Conflict(m) => {
            ServiceError::Unprocessable(format!("Validation failed: {m}"))
        }
        other => other,
    })?;
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .insert_user(&email, &hash, Some(actor.id), approved)
        .await?)
}

/// Issues a token for a login just registered through an app.
pub async fn token_for(
    ctx: &Kuvend,
    app: &AppRow,
    user: &UserRow,
    scopes: &str,
) -> ServiceResult<(String, TokenRow)> {
    let token = random_secret();
    let mut conn = ctx.db.conn().await?;
    let row = conn
        .q()
        .insert_token(
            &secret_hash(&token),
            app.id,
            Some(user.id),
            user.actor_id,
            scopes,
        )
        .await?;
    Ok((token, row))
}

pub async fn approve_user(ctx: &Kuvend, email: &str) -> ServiceResult<()> {
    let mut conn = ctx.db.conn().await?;
    if conn.q().approve_user(&email.trim().to_lowercase()).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("no login {email}")))
    }
}

/// Makes a login one of the instance's operators (or not): the
/// organisations it works for get `admin.report` notifications.
pub async fn set_instance_admin(ctx: &Kuvend, email: &str, admin: bool) -> ServiceResult<()> {
    let email = email.trim().to_lowercase();
    let mut conn = ctx.db.conn().await?;
    if conn.q().set_instance_admin(&email, admin).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("no login {email}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_their_granular_forms() {
        assert!(scope_allows("read write", "read:statuses"));
        assert!(scope_allows("read write", "write"));
        assert!(!scope_allows("read", "write:statuses"));
        assert!(scope_allows("follow", "write:follows"));
        assert!(!scope_allows("read:accounts", "read:statuses"));
        assert!(normalize_scopes(Some("read write follow")).is_ok());
        assert!(normalize_scopes(Some("admin:write")).is_err());
        assert_eq!(normalize_scopes(None).unwrap(), "read");
        assert!(scope_allows("read write", WRITE_EVENTS));
        assert!(scope_allows("read", READ_EVENTS));
        assert!(!scope_allows("read", WRITE_EVENTS));
        assert!(!scope_allows("write:statuses", WRITE_EVENTS));
        assert!(normalize_scopes(Some("read:events write:events")).is_ok());
    }
}
