//! Actor queries.

use super::{
    Q, StorageResult,
    models::{ActorRow, NewActor},
    on_q,
    schema::actors,
};
use crate::model::ActorKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

impl Q<'_> {
    pub async fn insert_actor(&mut self, actor: &NewActor) -> StorageResult<ActorRow> {
        on_q!(self, |c| Ok(diesel::insert_into(actors::table)
            .values(actor)
            .returning(ActorRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Inserts a remote actor, or refreshes the stored copy with the same id.
    pub async fn upsert_remote_actor(&mut self, actor: &NewActor) -> StorageResult<ActorRow> {
        on_q!(self, |c| Ok(diesel::insert_into(actors::table)
            .values(actor)
            .on_conflict(actors::ap_id)
            .do_update()
            .set((
                actors::ap_type.eq(&actor.ap_type),
                actors::kind.eq(&actor.kind),
                actors::username.eq(&actor.username),
                actors::username_key.eq(&actor.username_key),
                actors::display_name.eq(&actor.display_name),
                actors::summary.eq(&actor.summary),
                actors::profile_url.eq(&actor.profile_url),
                actors::icon_url.eq(&actor.icon_url),
                actors::inbox_url.eq(&actor.inbox_url),
                actors::shared_inbox_url.eq(&actor.shared_inbox_url),
                actors::outbox_url.eq(&actor.outbox_url),
                actors::followers_url.eq(&actor.followers_url),
                actors::following_url.eq(&actor.following_url),
                actors::public_key_id.eq(&actor.public_key_id),
                actors::public_key_pem.eq(&actor.public_key_pem),
                actors::manually_approves_followers.eq(actor.manually_approves_followers),
                actors::discoverable.eq(actor.discoverable),
                actors::fetched_at.eq(actor.fetched_at),
                actors::updated_at.eq(actor.updated_at),
                actors::image_url.eq(&actor.image_url),
                actors::fields_json.eq(&actor.fields_json),
            ))
            .returning(ActorRow::as_returning())
            .get_result(c)
            .await?))
    }

    pub async fn actor_by_id(&mut self, id: i64) -> StorageResult<ActorRow> {
        on_q!(self, |c| Ok(actors::table
            .find(id)
            .select(ActorRow::as_select())
            .get_result(c)
            .await?))
    }

    pub async fn actor_by_ap_id(&mut self, ap_id: &str) -> StorageResult<Option<ActorRow>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::ap_id.eq(ap_id))
            .select(ActorRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn actor_by_key_id(&mut self, key_id: &str) -> StorageResult<Option<ActorRow>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::public_key_id.eq(key_id))
            .select(ActorRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Changes a local actor's profile.
    pub async fn update_profile(
        &mut self,
        id: i64,
        display_name: &str,
        summary: &str,
        manual: bool,
    ) -> StorageResult<ActorRow> {
        on_q!(self, |c| Ok(diesel::update(actors::table.find(id))
            .set((
                actors::display_name.eq(display_name),
                actors::summary.eq(summary),
                actors::manually_approves_followers.eq(manual),
                actors::updated_at.eq(super::now()),
            ))
            .returning(ActorRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Writes a local actor's images and fields (issue 16), in the caller's
    /// transaction with the rest of the profile.
    pub async fn set_profile_extras(
        &mut self,
        id: i64,
        extras: &ProfileExtras,
    ) -> StorageResult<ActorRow> {
        on_q!(self, |c| Ok(diesel::update(actors::table.find(id))
            .set((
                actors::icon_url.eq(&extras.icon_url),
                actors::avatar_media_id.eq(extras.avatar_media_id),
                actors::image_url.eq(&extras.image_url),
                actors::header_media_id.eq(extras.header_media_id),
                actors::fields_json.eq(&extras.fields_json),
            ))
            .returning(ActorRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Replaces an actor's profile fields (verification marks them).
    pub async fn set_actor_fields(&mut self, id: i64, fields_json: &str) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(actors::table.find(id))
                .set(actors::fields_json.eq(fields_json))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// A local actor by user name, without regard to case.
    pub async fn local_actor_by_username(
        &mut self,
        username: &str,
    ) -> StorageResult<Option<ActorRow>> {
        let key = username.to_lowercase();
        on_q!(self, |c| Ok(actors::table
            .filter(actors::local.eq(true))
            .filter(actors::username_key.eq(&key))
            .select(ActorRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// A stored remote actor by `user` and `domain`, without regard to case.
    pub async fn remote_actor_by_handle(
        &mut self,
        username: &str,
        domain: &str,
    ) -> StorageResult<Option<ActorRow>> {
        let key = username.to_lowercase();
        let domain = domain.to_lowercase();
        on_q!(self, |c| Ok(actors::table
            .filter(actors::local.eq(false))
            .filter(actors::username_key.eq(&key))
            .filter(actors::domain.eq(&domain))
            .select(ActorRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn local_actors_of_kind(&mut self, kind: ActorKind) -> StorageResult<Vec<ActorRow>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::local.eq(true))
            .filter(actors::kind.eq(kind.as_str()))
            .order(actors::username_key.asc())
            .select(ActorRow::as_select())
            .load(c)
            .await?))
    }

    /// Counts local actors of a kind (for NodeInfo).
    pub async fn count_local_actors(&mut self, kind: ActorKind) -> StorageResult<i64> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::local.eq(true))
            .filter(actors::kind.eq(kind.as_str()))
            .count()
            .get_result(c)
            .await?))
    }
}

/// A local actor's images and fields, as [`Q::set_profile_extras`] writes them.
#[derive(Debug, Clone)]
pub struct ProfileExtras {
    pub icon_url: Option<String>,
    pub avatar_media_id: Option<i64>,
    pub image_url: Option<String>,
    pub header_media_id: Option<i64>,
    pub fields_json: String,
}
