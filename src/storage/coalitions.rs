//! Coalitions (issue 13): what only coalition actors have, and their members.

use super::{
    Q, StorageResult,
    models::ActorRow,
    on_q,
    schema::{actors, coalition_members, coalitions},
};
use crate::model::{CoalitionRole, MembersVisible};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A coalition's own settings, one row per coalition actor.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = coalitions)]
pub struct CoalitionRow {
    pub actor_id: i64,
    pub members_visible: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CoalitionRow {
    pub fn members_visible(&self) -> MembersVisible {
        // Unknown text shows less, never more.
        MembersVisible::parse(&self.members_visible).unwrap_or(MembersVisible::Members)
    }
}

/// A settled membership (invitations and join requests live elsewhere).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coalition_members)]
pub struct CoalitionMemberRow {
    pub id: i64,
    pub coalition_id: i64,
    pub member_id: i64,
    pub role: String,
    pub ap_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CoalitionMemberRow {
    pub fn role(&self) -> CoalitionRole {
        // Unknown text grants less, never more.
        CoalitionRole::parse(&self.role).unwrap_or(CoalitionRole::Member)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = coalition_members)]
pub struct NewCoalitionMember {
    pub coalition_id: i64,
    pub member_id: i64,
    pub role: String,
    pub ap_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Q<'_> {
    pub async fn insert_coalition(&mut self, row: &CoalitionRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(coalitions::table)
                .values(row)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn coalition(&mut self, actor_id: i64) -> StorageResult<Option<CoalitionRow>> {
        on_q!(self, |c| Ok(coalitions::table
            .find(actor_id)
            .select(CoalitionRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn set_members_visible(
        &mut self,
        actor_id: i64,
        visible: MembersVisible,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(coalitions::table.find(actor_id))
                .set((
                    coalitions::members_visible.eq(visible.as_str()),
                    coalitions::updated_at.eq(super::now()),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn insert_coalition_member(
        &mut self,
        row: &NewCoalitionMember,
    ) -> StorageResult<CoalitionMemberRow> {
        on_q!(self, |c| Ok(diesel::insert_into(coalition_members::table)
            .values(row)
            .returning(CoalitionMemberRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// A coalition's members with their actors, oldest first (the founder
    /// first), optionally of one role only.
    pub async fn coalition_members(
        &mut self,
        coalition_id: i64,
        role: Option<CoalitionRole>,
    ) -> StorageResult<Vec<(CoalitionMemberRow, ActorRow)>> {
        on_q!(self, |c| {
            let mut query = coalition_members::table
                .inner_join(actors::table.on(actors::id.eq(coalition_members::member_id)))
                .filter(coalition_members::coalition_id.eq(coalition_id))
                .into_boxed();
            if let Some(role) = role {
                query = query.filter(coalition_members::role.eq(role.as_str()));
            }
            Ok(query
                .order(coalition_members::id.asc())
                .select((CoalitionMemberRow::as_select(), ActorRow::as_select()))
                .load(c)
                .await?)
        })
    }

    /// The actor ids of one page of a coalition's members, oldest first.
    pub async fn coalition_member_ids_page(
        &mut self,
        coalition_id: i64,
        role: Option<CoalitionRole>,
        offset: i64,
        limit: i64,
    ) -> StorageResult<Vec<String>> {
        on_q!(self, |c| {
            let mut query = coalition_members::table
                .inner_join(actors::table.on(actors::id.eq(coalition_members::member_id)))
                .filter(coalition_members::coalition_id.eq(coalition_id))
                .into_boxed();
            if let Some(role) = role {
                query = query.filter(coalition_members::role.eq(role.as_str()));
            }
            Ok(query
                .order(coalition_members::id.asc())
                .offset(offset)
                .limit(limit)
                .select(actors::ap_id)
                .load(c)
                .await?)
        })
    }

    pub async fn count_coalition_members(
        &mut self,
        coalition_id: i64,
        role: Option<CoalitionRole>,
    ) -> StorageResult<i64> {
        on_q!(self, |c| {
            let mut query = coalition_members::table
                .filter(coalition_members::coalition_id.eq(coalition_id))
                .into_boxed();
            if let Some(role) = role {
                query = query.filter(coalition_members::role.eq(role.as_str()));
            }
            Ok(query.count().get_result(c).await?)
        })
    }
}
