//! Coalitions (issue 13): what only coalition actors have, and their members.

use super::{
    Q, StorageResult,
    models::ActorRow,
    on_q,
    schema::{
        actors, coalition_invitations, coalition_join_requests, coalition_members, coalitions,
        invitation_polls,
    },
};
use crate::model::{CoalitionRole, InvitationState, MembersVisible};
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
    /// `all`, `top-level` or `none` (issue 14 item 1).
    pub relay: String,
    /// Posts relayed per member and hour; 0 means no cap.
    pub relay_cap: i64,
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

/// An invitation to a coalition, sent by one of ours or received by one of
/// our organisations (issue 13 item 2).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coalition_invitations)]
pub struct InvitationRow {
    pub id: i64,
    pub coalition_id: i64,
    pub invitee_id: i64,
    pub inviter_id: i64,
    pub ap_id: String,
    pub message: String,
    pub state: String,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl InvitationRow {
    /// The stored state, `expired` once past its time even if not yet
    /// written so. Unknown text counts as closed (`revoked`): it can then
    /// be neither answered nor accepted by mistake.
    pub fn state(&self, now: NaiveDateTime) -> InvitationState {
        let state = InvitationState::parse(&self.state).unwrap_or(InvitationState::Revoked);
        if state.is_open() && self.expires_at <= now {
            InvitationState::Expired
        } else {
            state
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = coalition_invitations)]
pub struct NewInvitation {
    pub coalition_id: i64,
    pub invitee_id: i64,
    pub inviter_id: i64,
    pub ap_id: String,
    pub message: String,
    pub state: String,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

fn open_states() -> [&'static str; 2] {
    InvitationState::OPEN.map(InvitationState::as_str)
}

/// The states an answer from the invitee still moves: the open ones, and
/// `undeliverable` (an answer proves the invitee got it after all).
fn answerable_states() -> [&'static str; 3] {
    InvitationState::ANSWERABLE.map(InvitationState::as_str)
}

impl Q<'_> {
    /// One membership of `member` in `coalition`, if any.
    pub async fn coalition_membership(
        &mut self,
        coalition_id: i64,
        member_id: i64,
    ) -> StorageResult<Option<CoalitionMemberRow>> {
        on_q!(self, |c| Ok(coalition_members::table
            .filter(coalition_members::coalition_id.eq(coalition_id))
            .filter(coalition_members::member_id.eq(member_id))
            .select(CoalitionMemberRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// The membership whose Member URL is `ap_id`.
    pub async fn coalition_member_by_ap_id(
        &mut self,
        ap_id: &str,
    ) -> StorageResult<Option<CoalitionMemberRow>> {
        on_q!(self, |c| Ok(coalition_members::table
            .filter(coalition_members::ap_id.eq(ap_id))
            .select(CoalitionMemberRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Writes `expired` on the open invitations past their time between
    /// `coalition` and `invitee`, so that a new one may be sent (only one
    /// may be open at a time).
    pub async fn expire_invitations(
        &mut self,
        coalition_id: i64,
        invitee_id: i64,
    ) -> StorageResult<()> {
        let now = super::now();
        on_q!(self, |c| {
            diesel::update(
                coalition_invitations::table
                    .filter(coalition_invitations::coalition_id.eq(coalition_id))
                    .filter(coalition_invitations::invitee_id.eq(invitee_id))
                    .filter(coalition_invitations::state.eq_any(open_states()))
                    .filter(coalition_invitations::expires_at.le(now)),
            )
            .set((
                coalition_invitations::state.eq(InvitationState::Expired.as_str()),
                coalition_invitations::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    pub async fn insert_invitation(&mut self, row: &NewInvitation) -> StorageResult<InvitationRow> {
        on_q!(self, |c| Ok(diesel::insert_into(
            coalition_invitations::table
        )
        .values(row)
        .returning(InvitationRow::as_returning())
        .get_result(c)
        .await?))
    }

    /// The open (pending or delivered, not past its time) invitation
    /// between a coalition and an invitee.
    pub async fn open_invitation(
        &mut self,
        coalition_id: i64,
        invitee_id: i64,
    ) -> StorageResult<Option<InvitationRow>> {
        let now = super::now();
        on_q!(self, |c| Ok(coalition_invitations::table
            .filter(coalition_invitations::coalition_id.eq(coalition_id))
            .filter(coalition_invitations::invitee_id.eq(invitee_id))
            .filter(coalition_invitations::state.eq_any(open_states()))
            .filter(coalition_invitations::expires_at.gt(now))
            .select(InvitationRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The latest invitation between a coalition and an invitee, whatever
    /// its state.
    pub async fn latest_invitation(
        &mut self,
        coalition_id: i64,
        invitee_id: i64,
    ) -> StorageResult<Option<InvitationRow>> {
        on_q!(self, |c| Ok(coalition_invitations::table
            .filter(coalition_invitations::coalition_id.eq(coalition_id))
            .filter(coalition_invitations::invitee_id.eq(invitee_id))
            .order(coalition_invitations::id.desc())
            .select(InvitationRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The invitation whose Invite has this id (our Member URL, or a
    /// received Invite's id).
    pub async fn invitation_by_ap_id(
        &mut self,
        ap_id: &str,
    ) -> StorageResult<Option<InvitationRow>> {
        on_q!(self, |c| Ok(coalition_invitations::table
            .filter(coalition_invitations::ap_id.eq(ap_id))
            .select(InvitationRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Moves an invitation from an open state to `state`; false when it was
    /// no longer open (answered, revoked or expired meanwhile), in which
    /// case nothing changed. An answer (`accepted`, `declined`) also moves
    /// an `undeliverable` one: the invitee evidently got it.
    pub async fn close_invitation(
        &mut self,
        id: i64,
        state: InvitationState,
        reason: &str,
    ) -> StorageResult<bool> {
        let now = super::now();
        let from: &[&str] = match state {
            InvitationState::Accepted | InvitationState::Declined => &answerable_states(),
            _ => &open_states(),
        };
        let from = from.to_vec();
        on_q!(self, |c| {
            let changed = diesel::update(
                coalition_invitations::table
                    .find(id)
                    .filter(coalition_invitations::state.eq_any(&from))
                    .filter(coalition_invitations::expires_at.gt(now)),
            )
            .set((
                coalition_invitations::state.eq(state.as_str()),
                coalition_invitations::reason.eq(reason),
                coalition_invitations::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(changed == 1)
        })
    }

    /// Serialises changes to a coalition's admins until the transaction
    /// ends: on PostgreSQL the coalition's row is locked, so two admins
    /// leaving or demoting each other at once cannot both see another admin
    /// left. SQLite already lets one writer at a time through.
    pub async fn lock_coalition(&mut self, actor_id: i64) -> StorageResult<()> {
        match self {
            Q::Postgres(c) => {
                coalitions::table
                    .find(actor_id)
                    .select(coalitions::actor_id)
                    .for_update()
                    .get_result::<i64>(c)
                    .await
                    .optional()?;
                Ok(())
            }
            Q::Sqlite(_) => Ok(()),
        }
    }

    /// Moves an `accepted` invitation to `revoked` (the coalition withdrew
    /// it before our acceptance reached it); false when it was not accepted.
    pub async fn revoke_accepted_invitation(
        &mut self,
        id: i64,
        reason: &str,
    ) -> StorageResult<bool> {
        let now = super::now();
        on_q!(self, |c| {
            let changed = diesel::update(
                coalition_invitations::table
                    .find(id)
                    .filter(coalition_invitations::state.eq(InvitationState::Accepted.as_str())),
            )
            .set((
                coalition_invitations::state.eq(InvitationState::Revoked.as_str()),
                coalition_invitations::reason.eq(reason),
                coalition_invitations::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(changed == 1)
        })
    }

    /// A coalition's invitations with their invitees, newest first.
    pub async fn invitations_of_coalition(
        &mut self,
        coalition_id: i64,
    ) -> StorageResult<Vec<(InvitationRow, ActorRow)>> {
        on_q!(self, |c| Ok(coalition_invitations::table
            .inner_join(actors::table.on(actors::id.eq(coalition_invitations::invitee_id)))
            .filter(coalition_invitations::coalition_id.eq(coalition_id))
            .order(coalition_invitations::id.desc())
            .select((InvitationRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// An invitee's invitations with their coalitions, newest first.
    pub async fn invitations_of_invitee(
        &mut self,
        invitee_id: i64,
    ) -> StorageResult<Vec<(InvitationRow, ActorRow)>> {
        on_q!(self, |c| Ok(coalition_invitations::table
            .inner_join(actors::table.on(actors::id.eq(coalition_invitations::coalition_id)))
            .filter(coalition_invitations::invitee_id.eq(invitee_id))
            .order(coalition_invitations::id.desc())
            .select((InvitationRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// The worker's final word on an `Invite` (by the activity's id, which
    /// is the invitation's `ap_id`): `delivered` after a 2xx, or
    /// `undeliverable` with `reason` once the delivery was given up. Only a
    /// `pending` invitation moves (nor does a late outcome undo an answer,
    /// a revoke or an expiry); any other activity id matches nothing.
    pub async fn record_invite_outcome(
        &mut self,
        invite_ap_id: &str,
        outcome: Result<(), &str>,
    ) -> StorageResult<()> {
        let now = super::now();
        let (state, reason) = match outcome {
            Ok(()) => (InvitationState::Delivered, ""),
            Err(reason) => (InvitationState::Undeliverable, reason),
        };
        on_q!(self, |c| {
            diesel::update(
                coalition_invitations::table
                    .filter(coalition_invitations::ap_id.eq(invite_ap_id))
                    .filter(coalition_invitations::state.eq(InvitationState::Pending.as_str()))
                    .filter(coalition_invitations::expires_at.gt(now)),
            )
            .set((
                coalition_invitations::state.eq(state.as_str()),
                coalition_invitations::reason.eq(reason),
                coalition_invitations::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    /// The invitation between a coalition and an invitee that an answer
    /// from the invitee (a vote, a Follow, a Join) still moves: open, or
    /// undeliverable, and not past its time; the newest first.
    pub async fn answerable_invitation(
        &mut self,
        coalition_id: i64,
        invitee_id: i64,
    ) -> StorageResult<Option<InvitationRow>> {
        let now = super::now();
        on_q!(self, |c| Ok(coalition_invitations::table
            .filter(coalition_invitations::coalition_id.eq(coalition_id))
            .filter(coalition_invitations::invitee_id.eq(invitee_id))
            .filter(coalition_invitations::state.eq_any(answerable_states()))
            .filter(coalition_invitations::expires_at.gt(now))
            .order(coalition_invitations::id.desc())
            .select(InvitationRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The language of the newest post of `author` that names one (remote
    /// posts carry it from `contentMap`): what an invitation poll is
    /// written in, since actor documents carry no language.
    pub async fn latest_post_language(&mut self, author_id: i64) -> StorageResult<Option<String>> {
        use super::schema::posts;
        on_q!(self, |c| Ok(posts::table
            .filter(posts::author_id.eq(author_id))
            .filter(posts::language.is_not_null())
            .order(posts::id.desc())
            .select(posts::language)
            .first::<Option<String>>(c)
            .await
            .optional()?
            .flatten()))
    }

    /// One invitation by its row id.
    pub async fn invitation_by_id(&mut self, id: i64) -> StorageResult<Option<InvitationRow>> {
        on_q!(self, |c| Ok(coalition_invitations::table
            .find(id)
            .select(InvitationRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn insert_invitation_poll(&mut self, new: &NewInvitationPoll) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(invitation_polls::table)
                .values(new)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The invitation poll whose `Question` is the post `poll_post_id`.
    pub async fn invitation_poll_by_post(
        &mut self,
        poll_post_id: i64,
    ) -> StorageResult<Option<InvitationPollRow>> {
        on_q!(self, |c| Ok(invitation_polls::table
            .filter(invitation_polls::poll_post_id.eq(poll_post_id))
            .select(InvitationPollRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// The poll sent with an invitation, if any.
    pub async fn invitation_poll_of(
        &mut self,
        invitation_id: i64,
    ) -> StorageResult<Option<InvitationPollRow>> {
        on_q!(self, |c| Ok(invitation_polls::table
            .filter(invitation_polls::invitation_id.eq(invitation_id))
            .select(InvitationPollRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn set_invitation_poll_vote(&mut self, id: i64, vote: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(invitation_polls::table.find(id))
                .set(invitation_polls::vote.eq(Some(vote)))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}

/// The poll sent with an invitation to software without invitations
/// (issue 13 item 3).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitation_polls)]
pub struct InvitationPollRow {
    pub id: i64,
    pub invitation_id: i64,
    /// The `Question` post.
    pub poll_post_id: i64,
    /// The option names as sent, a JSON array: accept, decline.
    pub options: String,
    /// The option index that counted, if any.
    pub vote: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl InvitationPollRow {
    /// The option names as sent.
    pub fn option_names(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }
}

/// An invitation poll to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = invitation_polls)]
pub struct NewInvitationPoll {
    pub invitation_id: i64,
    pub poll_post_id: i64,
    pub options: String,
    pub created_at: NaiveDateTime,
}

impl Q<'_> {
    /// The coalitions (ours or remote groups) `member_id` belongs to, with
    /// its role in each, oldest membership first (issue 13 item 5).
    pub async fn coalitions_of_member(
        &mut self,
        member_id: i64,
    ) -> StorageResult<Vec<(CoalitionMemberRow, ActorRow)>> {
        on_q!(self, |c| Ok(coalition_members::table
            .inner_join(actors::table.on(actors::id.eq(coalition_members::coalition_id)))
            .filter(coalition_members::member_id.eq(member_id))
            .order(coalition_members::id.asc())
            .select((CoalitionMemberRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }
}

/// A request to join a coalition (issue 13 item 4): a `Join` received by
/// one of our coalitions, or sent by one of our organisations.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coalition_join_requests)]
pub struct JoinRequestRow {
    pub id: i64,
    pub coalition_id: i64,
    pub requester_id: i64,
    pub ap_id: String,
    pub message: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = coalition_join_requests)]
pub struct NewJoinRequest {
    pub coalition_id: i64,
    pub requester_id: i64,
    pub ap_id: String,
    pub message: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The state of a join request that is still waiting for an answer.
pub const REQUEST_PENDING: &str = "pending";

impl Q<'_> {
    pub async fn insert_join_request(
        &mut self,
        row: &NewJoinRequest,
    ) -> StorageResult<JoinRequestRow> {
        on_q!(self, |c| Ok(diesel::insert_into(
            coalition_join_requests::table
        )
        .values(row)
        .returning(JoinRequestRow::as_returning())
        .get_result(c)
        .await?))
    }

    /// The pending request of `requester` to join `coalition`.
    pub async fn pending_join_request(
        &mut self,
        coalition_id: i64,
        requester_id: i64,
    ) -> StorageResult<Option<JoinRequestRow>> {
        on_q!(self, |c| Ok(coalition_join_requests::table
            .filter(coalition_join_requests::coalition_id.eq(coalition_id))
            .filter(coalition_join_requests::requester_id.eq(requester_id))
            .filter(coalition_join_requests::state.eq(REQUEST_PENDING))
            .select(JoinRequestRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The latest request of `requester` to join `coalition`, whatever its
    /// state.
    pub async fn latest_join_request(
        &mut self,
        coalition_id: i64,
        requester_id: i64,
    ) -> StorageResult<Option<JoinRequestRow>> {
        on_q!(self, |c| Ok(coalition_join_requests::table
            .filter(coalition_join_requests::coalition_id.eq(coalition_id))
            .filter(coalition_join_requests::requester_id.eq(requester_id))
            .order(coalition_join_requests::id.desc())
            .select(JoinRequestRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The request whose Join has this id.
    pub async fn join_request_by_ap_id(
        &mut self,
        ap_id: &str,
    ) -> StorageResult<Option<JoinRequestRow>> {
        on_q!(self, |c| Ok(coalition_join_requests::table
            .filter(coalition_join_requests::ap_id.eq(ap_id))
            .select(JoinRequestRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Moves a pending request to `state`; false when it was no longer
    /// pending (answered meanwhile), in which case nothing changed.
    pub async fn close_join_request(&mut self, id: i64, state: &str) -> StorageResult<bool> {
        let now = super::now();
        on_q!(self, |c| {
            let changed = diesel::update(
                coalition_join_requests::table
                    .find(id)
                    .filter(coalition_join_requests::state.eq(REQUEST_PENDING)),
            )
            .set((
                coalition_join_requests::state.eq(state),
                coalition_join_requests::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(changed == 1)
        })
    }

    /// A coalition's pending requests with their requesters, oldest first.
    pub async fn pending_join_requests(
        &mut self,
        coalition_id: i64,
    ) -> StorageResult<Vec<(JoinRequestRow, ActorRow)>> {
        on_q!(self, |c| Ok(coalition_join_requests::table
            .inner_join(actors::table.on(actors::id.eq(coalition_join_requests::requester_id)))
            .filter(coalition_join_requests::coalition_id.eq(coalition_id))
            .filter(coalition_join_requests::state.eq(REQUEST_PENDING))
            .order(coalition_join_requests::id.asc())
            .select((JoinRequestRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// How many requests to join a coalition are pending.
    pub async fn count_pending_join_requests(&mut self, coalition_id: i64) -> StorageResult<i64> {
        on_q!(self, |c| Ok(coalition_join_requests::table
            .filter(coalition_join_requests::coalition_id.eq(coalition_id))
            .filter(coalition_join_requests::state.eq(REQUEST_PENDING))
            .count()
            .get_result(c)
            .await?))
    }

    /// Ends a membership; false when there was none.
    pub async fn delete_coalition_member(
        &mut self,
        coalition_id: i64,
        member_id: i64,
    ) -> StorageResult<bool> {
        on_q!(self, |c| {
            let deleted = diesel::delete(
                coalition_members::table
                    .filter(coalition_members::coalition_id.eq(coalition_id))
                    .filter(coalition_members::member_id.eq(member_id)),
            )
            .execute(c)
            .await?;
            Ok(deleted == 1)
        })
    }

    /// Sets a member's role; false when there is no such membership.
    pub async fn set_coalition_role(
        &mut self,
        coalition_id: i64,
        member_id: i64,
        role: CoalitionRole,
    ) -> StorageResult<bool> {
        let now = super::now();
        on_q!(self, |c| {
            let changed = diesel::update(
                coalition_members::table
                    .filter(coalition_members::coalition_id.eq(coalition_id))
                    .filter(coalition_members::member_id.eq(member_id)),
            )
            .set((
                coalition_members::role.eq(role.as_str()),
                coalition_members::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(changed == 1)
        })
    }
}
