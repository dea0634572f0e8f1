//! Coalitions in the client API (issue 13 item 5): kuvend's own entities
//! (`Coalition`, `CoalitionMember`, `Invitation`, under
//! `/api/v1/kuvend/…`) and pl-api's groups entities (`Group`,
//! `GroupRelationship`, `GroupMember`, docs/research/coalitions.md §5.3).
//! Every field is documented in docs/coalitions.md.

use super::{Account, iso};
use crate::model::CoalitionRole;
use crate::service::coalitions::{CoalitionInfo, InvitationView, MemberEntry};
use crate::service::membership::{JoinAnswer, RequestView};
use serde::Serialize;

/// kuvend's coalition: the Mastodon Account (`group: true`) plus the
/// coalition's own settings, under `coalition`.
#[derive(Debug, Clone, Serialize)]
pub struct Coalition {
    /// The coalition's account, as `/api/v1/accounts/:id` shows it.
    #[serde(flatten)]
    pub account: Account,
    /// What only a coalition has.
    pub coalition: CoalitionSettings,
}

/// A coalition's settings and the viewer's place in it.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionSettings {
    /// `public` (anyone sees the member list) or `members` (only members
    /// do; everyone else sees `members_count`).
    pub members_visible: &'static str,
    /// How many organisations belong (for a remote group, those we know).
    pub members_count: i64,
    /// Whether follows need an admin's approval.
    pub manual_approval: bool,
    /// The token's organisation's role: `admin`, `member`, or null when it
    /// does not belong (or no token was sent).
    pub role: Option<&'static str>,
    /// What the coalition relays of its members' posts to its followers:
    /// `all`, `top-level` (replies only to forum software) or `none`; null
    /// for a remote group (its own server decides).
    pub relay: Option<String>,
    /// Posts relayed per member and hour (0: no cap); null for a remote
    /// group.
    pub relay_cap: Option<i64>,
}

impl Coalition {
    pub fn new(account: Account, info: &CoalitionInfo) -> Coalition {
        Coalition {
            coalition: CoalitionSettings {
                members_visible: info.members_visible.as_str(),
                members_count: info.members_count,
                manual_approval: info.actor.manually_approves_followers,
                role: info.viewer_role.map(CoalitionRole::as_str),
                relay: info.relay.as_ref().map(|(mode, _)| mode.clone()),
                relay_cap: info.relay.as_ref().map(|(_, cap)| *cap),
            },
            account,
        }
    }
}

/// kuvend's member list, as one object so a stranger to a members-only
/// coalition still gets the count.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionMembers {
    /// How many organisations belong.
    pub members_count: i64,
    /// The members, oldest first; null when the viewer may not see them.
    pub members: Option<Vec<CoalitionMember>>,
}

/// One member of a coalition.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionMember {
    /// The member organisation.
    pub account: Account,
    /// `admin` or `member` (coalition roles, not staff roles).
    pub role: &'static str,
    /// When it joined (ISO 8601).
    pub created_at: String,
}

/// An invitation to a coalition, sent or received.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    /// Its id, as a string.
    pub id: String,
    /// The coalition invited to.
    pub coalition: Account,
    /// The organisation invited.
    pub invitee: Account,
    /// The organisation that invited (an admin of the coalition).
    pub inviter: Account,
    /// `pending`, `delivered`, `accepted`, `declined`, `revoked`,
    /// `expired` or `undeliverable`.
    pub state: &'static str,
    /// Why, for `undeliverable`; null otherwise.
    pub reason: Option<String>,
    /// The inviter's note (plain text), or null.
    pub message: Option<String>,
    /// When it was sent (ISO 8601).
    pub created_at: String,
    /// When an open invitation expires (ISO 8601).
    pub expires_at: String,
}

impl Invitation {
    pub fn new(
        view: &InvitationView,
        coalition: Account,
        invitee: Account,
        inviter: Account,
    ) -> Invitation {
        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Invitation {
            id: view.id.to_string(),
            coalition,
            invitee,
            inviter,
            state: view.state.as_str(),
            reason: text(&view.reason),
            message: text(&view.message),
            created_at: iso(view.created_at),
            expires_at: iso(view.expires_at),
        }
    }
}

/// pl-api's `Group` (Truth Social's shape).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The coalition's account id.
    pub id: String,
    /// The ActivityPub actor id.
    pub uri: String,
    /// The profile page.
    pub url: String,
    /// The coalition's name.
    pub display_name: String,
    /// Its description, as HTML.
    pub note: String,
    /// Avatar image URL.
    pub avatar: String,
    /// Non-animated avatar image URL.
    pub avatar_static: String,
    /// Header image URL.
    pub header: String,
    /// Non-animated header image URL.
    pub header_static: String,
    /// Alt text of the avatar: none.
    pub avatar_description: String,
    /// Alt text of the header: none.
    pub header_description: String,
    /// When it was created (ISO 8601).
    pub created_at: String,
    /// Empty for ours, the server's domain for a remote group.
    pub domain: String,
    /// Custom emoji: none.
    pub emojis: Vec<serde_json::Value>,
    /// Whether follows need approval.
    pub locked: bool,
    /// Always true: one joins a coalition by invitation (or request).
    pub membership_required: bool,
    /// How many organisations belong.
    pub members_count: i64,
    /// The owner (the earliest admin), `{ "id": … }`; null when the member
    /// list is hidden from the viewer.
    pub owner: Option<GroupOwner>,
    /// Always `public`: a coalition's posts are public.
    pub statuses_visibility: &'static str,
    /// Filled in by clients from `/api/v1/groups/relationships`.
    pub relationship: Option<GroupRelationship>,
}

/// The owner of a group, by account id.
#[derive(Debug, Clone, Serialize)]
pub struct GroupOwner {
    /// The owner's account id.
    pub id: String,
}

impl Group {
    pub fn new(account: &Account, info: &CoalitionInfo, local: bool) -> Group {
        Group {
            id: account.id.clone(),
            uri: account.uri.clone(),
            url: account.url.clone(),
            display_name: account.display_name.clone(),
            note: account.note.clone(),
            avatar: account.avatar.clone(),
            avatar_static: account.avatar_static.clone(),
            header: account.header.clone(),
            header_static: account.header_static.clone(),
            avatar_description: String::new(),
            header_description: String::new(),
            created_at: account.created_at.clone(),
            domain: if local {
                String::new()
            } else {
                info.actor.domain.clone()
            },
            emojis: Vec::new(),
            locked: account.locked,
            membership_required: true,
            members_count: info.members_count,
            owner: info.owner.as_ref().map(|o| GroupOwner {
                id: o.id.to_string(),
            }),
            statuses_visibility: "public",
            relationship: None,
        }
    }
}

/// pl-api's `GroupRelationship`: the token's organisation and one group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRelationship {
    /// The group's id.
    pub id: String,
    /// Whether the organisation belongs.
    pub member: bool,
    /// `owner`, `admin` or `user` (pl-api knows only these); `user` when
    /// not a member.
    pub role: &'static str,
    /// Whether the organisation's request to join is pending.
    pub requested: bool,
}

/// pl-api's `GroupMember`.
#[derive(Debug, Clone, Serialize)]
pub struct GroupMember {
    /// The membership's id: the member's account id.
    pub id: String,
    /// The member organisation.
    pub account: Account,
    /// `owner`, `admin` or `user`.
    pub role: &'static str,
}

/// pl-api's role for a member: the earliest admin is `owner`, other admins
/// `admin`, members `user`.
pub fn group_role(role: CoalitionRole, owner: bool) -> &'static str {
    match (role, owner) {
        (CoalitionRole::Admin, true) => "owner",
        (CoalitionRole::Admin, false) => "admin",
        (CoalitionRole::Member, _) => "user",
    }
}

impl GroupMember {
    pub fn new(entry: &MemberEntry, account: Account) -> GroupMember {
        GroupMember {
            id: account.id.clone(),
            role: group_role(entry.role, entry.owner),
            account,
        }
    }
}

impl CoalitionMember {
    pub fn new(entry: &MemberEntry, account: Account) -> CoalitionMember {
        CoalitionMember {
            account,
            role: entry.role.as_str(),
            created_at: iso(entry.since),
        }
    }
}

/// A pending request to join one of our coalitions, for its admins.
#[derive(Debug, Clone, Serialize)]
pub struct JoinRequest {
    /// The organisation asking (its account id is the `:account_id` of
    /// `…/requests/:account_id/authorize` and `…/reject`).
    pub account: Account,
    /// Its note to the admins (plain text), or null.
    pub message: Option<String>,
    /// When it asked (ISO 8601).
    pub created_at: String,
}

impl JoinRequest {
    pub fn new(view: &RequestView, account: Account) -> JoinRequest {
        JoinRequest {
            account,
            message: (!view.message.is_empty()).then(|| view.message.clone()),
            created_at: iso(view.created_at),
        }
    }
}

/// An admin's decision on a join request.
#[derive(Debug, Clone, Serialize)]
pub struct JoinDecision {
    /// The organisation that asked.
    pub account: Account,
    /// `accepted` (now a member) or `rejected`.
    pub state: &'static str,
}

/// What became of the token's organisation's request to join.
#[derive(Debug, Clone, Serialize)]
pub struct JoinState {
    /// `member` (at once: it had an open invitation), `requested` (waiting
    /// for the coalition's admins, or for a remote coalition's answer) or
    /// `refused` (the coalition takes members by invitation only).
    pub state: &'static str,
    /// Why, for `refused`; null otherwise.
    pub reason: Option<String>,
}

impl JoinState {
    pub fn new(answer: JoinAnswer) -> JoinState {
        let (state, reason) = match answer {
            JoinAnswer::Member => ("member", None),
            JoinAnswer::Requested => ("requested", None),
            JoinAnswer::Refused(reason) => ("refused", Some(reason)),
        };
        JoinState { state, reason }
    }
}
