//! Organisations: local actors of kind `organization`.

use super::{ServiceError, ServiceResult, text_to_html};
use crate::federation::signatures::{Keypair, generate_keypair as generate_pem_keypair};
use crate::model::ActorKind;
use crate::{
    context::Kuvend,
    federation::actors::ap_type,
    storage::{
        StorageError,
        models::{ActorRow, NewActor},
        now,
    },
};

/// Mastodon's rule for local user names: letters, digits and `_`, at most 30.
pub fn validate_username(username: &str) -> ServiceResult<()> {
    if username.is_empty() {
        return Err(ServiceError::Unprocessable(
            "username must not be empty".into(),
        ));
    }
    if username.len() > 30 {
        return Err(ServiceError::Unprocessable(format!(
            "username {username:?} is longer than 30 characters"
        )));
    }
    if let Some(bad) = username
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(ServiceError::Unprocessable(format!(
            "username {username:?} contains {bad:?}; only letters a-z, digits and _ are allowed"
        )));
    }
    Ok(())
}

/// An RSA-2048 key pair, generated off the async threads (it takes a while).
pub async fn generate_keypair() -> ServiceResult<Keypair> {
    tokio::task::spawn_blocking(generate_pem_keypair)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("key generation failed: {e}")))
}

/// What an operator gives to create an organisation.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub username: String,
    pub display_name: String,
    /// Plain text; stored and federated as HTML paragraphs.
    pub summary: String,
    pub manually_approves_followers: bool,
}

pub async fn create_organization(ctx: &Kuvend, org: NewOrganization) -> ServiceResult<ActorRow> {
    create_local_actor(ctx, ActorKind::Organization, org).await
}

/// Creates a local actor of any kind (organisations; people who register).
pub async fn create_local_actor(
    ctx: &Kuvend,
    kind: ActorKind,
    org: NewOrganization,
) -> ServiceResult<ActorRow> {
    let row = new_local_actor(ctx, kind, org).await?;
    let mut conn = ctx.db.conn().await?;
    match conn.q().insert_actor(&row).await {
        Ok(actor) => Ok(actor),
        Err(StorageError::Conflict(_)) => Err(taken(&row.username)),
        Err(e) => Err(e.into()),
    }
}

/// The refusal of a user name that an actor of any kind already has.
pub(super) fn taken(username: &str) -> ServiceError {
    ServiceError::Conflict(format!("username {username:?} is already taken"))
}

/// Checks what an operator gave and builds the row of a new local actor of
/// any kind, with its key pair, without storing it (a coalition stores it
/// together with its settings and first admin).
pub(super) async fn new_local_actor(
    ctx: &Kuvend,
    kind: ActorKind,
    org: NewOrganization,
) -> ServiceResult<NewActor> {
    validate_username(&org.username)?;
    // A display name is text, wherever it comes from: no markup.
    let display_name = crate::sanitize::plain(&org.display_name);
    if display_name.chars().count() > 100 {
        return Err(ServiceError::Unprocessable(
            "name is longer than 100 characters".into(),
        ));
    }
    let domain = ctx.settings.instance.domain.to_lowercase();
    {
        let mut conn = ctx.db.conn().await?;
        if conn
            .q()
            .local_actor_by_username(&org.username)
            .await?
            .is_some()
        {
            return Err(taken(&org.username));
        }
    }
    let keys = generate_keypair().await?;
    let urls = &ctx.urls;
    let username = org.username;
    let now = now();
    let row = NewActor {
        ap_id: urls.actor(&username).to_string(),
        kind: kind.as_str().into(),
        ap_type: ap_type(kind).into(),
        username_key: username.to_lowercase(),
        domain,
        local: true,
        display_name,
        summary: text_to_html(&org.summary),
        profile_url: Some(urls.profile(&username).to_string()),
        icon_url: None,
        inbox_url: urls.inbox(&username).to_string(),
        shared_inbox_url: Some(urls.shared_inbox().to_string()),
        outbox_url: Some(urls.outbox(&username).to_string()),
        followers_url: Some(urls.followers(&username).to_string()),
        following_url: Some(urls.following(&username).to_string()),
        public_key_id: urls.actor_key(&username),
        public_key_pem: keys.public_key,
        private_key_pem: Some(keys.private_key),
        manually_approves_followers: org.manually_approves_followers,
        discoverable: true,
        published_at: now,
        fetched_at: None,
        created_at: now,
        updated_at: now,
        image_url: None,
        fields_json: "[]".into(),
        username,
    };
    Ok(row)
}

pub async fn list_organizations(ctx: &Kuvend) -> ServiceResult<Vec<ActorRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .local_actors_of_kind(ActorKind::Organization)
        .await?)
}

/// A local organisation by user name (any case).
pub async fn organization(ctx: &Kuvend, username: &str) -> ServiceResult<ActorRow> {
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .local_actor_by_username(username)
        .await?
        .filter(|a| a.kind() == ActorKind::Organization)
        .ok_or_else(|| {
            ServiceError::NotFound(format!("no organisation {username:?} on this instance"))
        })
}

/// A local account that can post and follow: an organisation or a person.
pub async fn local_account(ctx: &Kuvend, username: &str) -> ServiceResult<ActorRow> {
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .local_actor_by_username(username)
        .await?
        .filter(|a| {
            matches!(
                a.kind(),
                ActorKind::Organization | ActorKind::Person | ActorKind::Coalition
            )
        })
        .ok_or_else(|| ServiceError::NotFound(format!("no account {username:?} on this instance")))
}

/// A coalition's settings besides its profile; all `None` for an
/// organisation.
#[derive(Debug, Default, Clone, Copy)]
pub struct GroupSettings {
    /// Who sees the members list.
    pub members_visible: Option<crate::model::MembersVisible>,
    /// What the coalition relays.
    pub relay: Option<super::relay::RelayMode>,
    /// The per-member hourly relay cap (0: none).
    pub relay_cap: Option<i64>,
}

impl GroupSettings {
    /// Writes what is set, in the caller's transaction.
    pub(crate) async fn write(&self, q: &mut crate::storage::Q<'_>, id: i64) -> ServiceResult<()> {
        if let Some(visible) = self.members_visible {
            q.set_members_visible(id, visible).await?;
        }
        if self.relay.is_some() || self.relay_cap.is_some() {
            q.set_relay_settings(
                id,
                self.relay.map(super::relay::RelayMode::as_str),
                self.relay_cap,
            )
            .await?;
        }
        Ok(())
    }
}

/// Changes a local account's name, bio or approval mode (owners only), and
/// sends the new actor document to its followers (`Update`); a coalition's
/// [`GroupSettings`] change in the same transaction. A thin form of
/// [`super::profile::update`], which also changes images and fields.
pub async fn update_profile(
    ctx: &Kuvend,
    acting: &super::acting::Acting,
    display_name: Option<&str>,
    note: Option<&str>,
    locked: Option<bool>,
    group: GroupSettings,
) -> ServiceResult<ActorRow> {
    let changes = super::profile::ProfileChanges {
        display_name: display_name.map(String::from),
        note: note.map(String::from),
        locked,
        ..Default::default()
    };
    super::profile::update(ctx, acting, changes, group).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_mastodon_rules() {
        assert!(validate_username("ngo_2026").is_ok());
        assert!(validate_username("NGO").is_ok());
        assert!(validate_username(&"a".repeat(30)).is_ok());
        assert!(validate_username(&"a".repeat(31)).is_err());
        assert!(validate_username("").is_err());
        assert!(validate_username("with-dash").is_err());
        assert!(validate_username("dot.ted").is_err());
        assert!(validate_username("ünï").is_err());
    }
}
