//! The shared vocabulary: words every layer uses (who an actor is, who may see
//! a post, where a follow stands, a page of a list). They know no layer: storage
//! stores them as text, federation maps them to wire types, services decide with
//! them, and http shows them.

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What an actor is to kuvend, whatever its wire type.
    ActorKind {
        Organization = "organization",
        Coalition = "coalition",
        Person = "person",
        Application = "application",
        Service = "service",
    }
);

text_enum!(
    /// A follow is pending until the followee's `Accept`, then accepted.
    FollowState {
        Pending = "pending",
        Accepted = "accepted",
    }
);

text_enum!(
    /// Who may see a post, in Mastodon's four levels.
    Visibility {
        Public = "public",
        Unlisted = "unlisted",
        Followers = "followers",
        Direct = "direct",
    }
);

text_enum!(
    /// A reaction to a post.
    ReactionKind {
        Like = "like",
        Announce = "announce",
    }
);

text_enum!(
    /// Where a delivery stands in the queue.
    DeliveryState {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
);

text_enum!(
    /// What a staff member may do for an organisation. An owner decides
    /// everything (profile, staff, followers, later coalitions and blocks);
    /// an editor writes (posts, replies, likes, boosts, later events).
    Role {
        Owner = "owner",
        Editor = "editor",
    }
);

text_enum!(
    /// What an organisation is in a coalition (issue 13): admins invite,
    /// approve and manage members; members belong. Distinct from staff
    /// roles: an organisation's owners decide for it in coalitions.
    CoalitionRole {
        Admin = "admin",
        Member = "member",
    }
);

text_enum!(
    /// Where an invitation to a coalition stands (issue 13 item 2).
    /// `pending` and `delivered` are open: it can still be answered.
    InvitationState {
        Pending = "pending",
        Delivered = "delivered",
        Accepted = "accepted",
        Declined = "declined",
        Revoked = "revoked",
        Expired = "expired",
        Undeliverable = "undeliverable",
    }
);

impl InvitationState {
    /// The states in which an invitation can still be answered or revoked.
    pub const OPEN: [InvitationState; 2] = [InvitationState::Pending, InvitationState::Delivered];

    /// The states an answer from the invitee still moves: the open ones and
    /// `undeliverable`, which is final for the lead but not for an invitee
    /// who answers after all (they evidently got it).
    pub const ANSWERABLE: [InvitationState; 3] = [
        InvitationState::Pending,
        InvitationState::Delivered,
        InvitationState::Undeliverable,
    ];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

text_enum!(
    /// Who may see a coalition's member list: everyone, or (for now) no one
    /// but its admins through the command line; strangers see only a count.
    MembersVisible {
        Public = "public",
        Members = "members",
    }
);

/// A page request: Mastodon's `max_id`, `since_id`, `min_id` and `limit`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

text_enum!(
    /// How people join an event (Mobilizon's `joinMode`, in our words):
    /// anyone, on approval, through an external registration page, or by
    /// invitation.
    JoinMode {
        Free = "free",
        Restricted = "restricted",
        External = "external",
        Invite = "invite",
    }
);

text_enum!(
    /// Where someone stands with an event of ours (issue 12). Only `Going`
    /// takes a place and counts in `participant_count`; `Pending` waits for
    /// staff approval (join mode `restricted`); `Waitlisted` came when the
    /// event was full and is promoted, first in first, when a place frees.
    ParticipantState {
        Going = "going",
        Maybe = "maybe",
        NotGoing = "not_going",
        Pending = "pending",
        Rejected = "rejected",
        Waitlisted = "waitlisted",
    }
);

impl ParticipantState {
    /// Who still expects to come (or may yet): they hear of every change to
    /// the event, followers of the organisation or not.
    pub const REACHED: [ParticipantState; 4] = [
        ParticipantState::Going,
        ParticipantState::Maybe,
        ParticipantState::Pending,
        ParticipantState::Waitlisted,
    ];
}

text_enum!(
    /// Where an event stands. Cancelled and postponed ones stay visible
    /// (an `Update` tells followers, never a `Delete`).
    EventStatus {
        Scheduled = "scheduled",
        Cancelled = "cancelled",
        Postponed = "postponed",
        Rescheduled = "rescheduled",
        MovedOnline = "moved-online",
    }
);

text_enum!(
    /// FEP-8a8e's event categories (Mobilizon's list), as sent on the wire.
    EventCategory {
        Arts = "ARTS",
        BookClubs = "BOOK_CLUBS",
        Business = "BUSINESS",
        Causes = "CAUSES",
        Comedy = "COMEDY",
        Crafts = "CRAFTS",
        Food = "FOOD_DRINK",
        Health = "HEALTH",
        Music = "MUSIC",
        Auto = "AUTO_BOAT_AIR",
        Community = "COMMUNITY",
        Family = "FAMILY_EDUCATION",
        Fashion = "FASHION_BEAUTY",
        Film = "FILM_MEDIA",
        Games = "GAMES",
        Language = "LANGUAGE_CULTURE",
        Learning = "LEARNING",
        Lgbtq = "LGBTQ",
        Movements = "MOVEMENTS_POLITICS",
        Networking = "NETWORKING",
        Party = "PARTY",
        PerformingArts = "PERFORMING_VISUAL_ARTS",
        Pets = "PETS",
        Photography = "PHOTOGRAPHY",
        Outdoors = "OUTDOORS_ADVENTURE",
        Spirituality = "SPIRITUALITY_RELIGION_BELIEFS",
        Science = "SCIENCE_TECH",
        Sports = "SPORTS",
        Theatre = "THEATRE",
        Meeting = "MEETING",
    }
);

/// How large an event's fields may be, ours or another server's.
pub mod event_bounds {
    /// The longest title, in characters.
    pub const MAX_NAME_CHARS: usize = 200;
    /// The longest place name, street, locality, reason, in characters.
    pub const MAX_FIELD_CHARS: usize = 300;
    /// The longest URL kept, in bytes.
    pub const MAX_URL_BYTES: usize = 2000;
    /// The largest capacity (a number beyond it is a typo).
    pub const MAX_CAPACITY: i64 = 10_000_000;
    /// The longest description kept from another server, in characters.
    pub const MAX_REMOTE_DESCRIPTION_CHARS: usize = 10_000;
}
