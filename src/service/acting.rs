//! Who acts: a local account, and what the login behind it may do there.
//! Services that change something for an account take an [`Acting`] and
//! check the role themselves, so the client API, the command line and (later)
//! the staff dashboard all follow the same rules.

use super::{ServiceError, ServiceResult};
use crate::{model::Role, storage::models::ActorRow};

#[derive(Debug, Clone)]
pub struct Acting {
    /// The account acted as (an organisation for its staff).
    pub account: ActorRow,
    /// What the login may do as that account.
    pub role: Role,
    /// The login, when a person acts (not the command line): recorded as
    /// the writer of posts, never federated.
    pub user_id: Option<i64>,
}

impl Acting {
    /// The instance's administrator at the command line: an owner of every
    /// local account.
    pub fn admin(account: ActorRow) -> Acting {
        Acting {
            account,
            role: Role::Owner,
            user_id: None,
        }
    }

    /// Requires `needed`, which an owner always has: editors write (posts,
    /// replies, likes, boosts); owners also decide for the account (profile,
    /// follows and followers, staff). A 403 with the reason otherwise.
    pub fn require(&self, needed: Role) -> ServiceResult<&ActorRow> {
        match (needed, self.role) {
            (_, Role::Owner) | (Role::Editor, Role::Editor) => Ok(&self.account),
            _ => Err(ServiceError::Forbidden(format!(
                "only an owner of @{} can do this",
                self.account.username
            ))),
        }
    }
}
