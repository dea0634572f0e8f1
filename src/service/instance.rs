//! The instance actor (FEP-2677): an `Application` that signs the instance's
//! own fetches, so that servers requiring signed fetches answer us.

use super::{ServiceError, ServiceResult};
use crate::model::ActorKind;
use crate::{
    federation::{actors::ap_type, urls::Urls},
    storage::{
        Db, StorageError,
        models::{ActorRow, NewActor},
        now,
    },
};

/// The instance actor's user name: the host without port, as Mastodon names its own.
pub fn instance_actor_username(domain: &str) -> String {
    domain.split(':').next().unwrap_or(domain).to_string()
}

/// Returns the instance actor, creating it (and its key pair) on first start.
pub async fn ensure_instance_actor(db: &Db, urls: &Urls, domain: &str) -> ServiceResult<ActorRow> {
    let mut conn = db.conn().await?;
    if let Some(actor) = conn
        .q()
        .actor_by_ap_id(urls.instance_actor().as_str())
        .await?
    {
        return Ok(actor);
    }
    drop(conn);
    let keys = super::orgs::generate_keypair().await?;
    let username = instance_actor_username(domain);
    let now = now();
    let row = NewActor {
        ap_id: urls.instance_actor().to_string(),
        kind: ActorKind::Application.as_str().into(),
        ap_type: ap_type(ActorKind::Application).into(),
        username_key: username.to_lowercase(),
        username,
        domain: domain.to_lowercase(),
        local: true,
        display_name: domain.to_string(),
        summary: String::new(),
        profile_url: Some(urls.base().to_string() + "/"),
        icon_url: None,
        inbox_url: urls.instance_actor_inbox().to_string(),
        shared_inbox_url: Some(urls.shared_inbox().to_string()),
        outbox_url: None,
        followers_url: None,
        following_url: None,
        public_key_id: urls.instance_actor_key(),
        public_key_pem: keys.public_key,
        private_key_pem: Some(keys.private_key),
        manually_approves_followers: true,
        discoverable: false,
        published_at: now,
        fetched_at: None,
        created_at: now,
        updated_at: now,
        image_url: None,
        fields_json: "[]".into(),
    };
    let mut conn = db.conn().await?;
    match conn.q().insert_actor(&row).await {
        Ok(actor) => Ok(actor),
        // Another process created it meanwhile.
        Err(StorageError::Conflict(_)) => conn
            .q()
            .actor_by_ap_id(&row.ap_id)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("instance actor vanished"))),
        Err(e) => Err(e.into()),
    }
}
