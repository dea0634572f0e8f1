//! `Join` (Mobilizon, Rebased) and `TentativeJoin` (Smithereen): someone
//! says they come, or may come, to an event of ours. A Join of a post of
//! ours that is not an event is rejected; of anything else, ignored. Neither
//! is stored.

use super::InboxOutcome;
use crate::{
    context::Kuvend,
    federation::protocol::activities::JoinJson,
    service::{
        ServiceResult,
        participation::{self, Intent, Rsvp, Target},
    },
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    id: &Url,
    kind: &str,
    join: &JoinJson,
) -> ServiceResult<InboxOutcome> {
    match participation::target(q, &join.object, actor).await? {
        Target::Event(event) => {
            let rsvp = Rsvp {
                activity_id: id,
                kind,
                intent: if join.tentative {
                    Intent::Maybe
                } else {
                    Intent::Going
                },
                message: join.message.as_deref(),
            };
            participation::receive(ctx, q, actor, &event, rsvp).await?;
            Ok(InboxOutcome::Applied)
        }
        Target::OtherPost(post) => {
            participation::reject_join_of_post(ctx, q, actor, &post, id, kind).await?;
            Ok(InboxOutcome::Applied)
        }
        Target::Unknown => Ok(InboxOutcome::Ignored(
            "Join of something that is not ours".into(),
        )),
    }
}
