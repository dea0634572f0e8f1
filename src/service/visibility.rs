//! Who may see what: the one rule that pages, ActivityPub fetches, the
//! client API, timelines and feeds all ask. A viewer is nobody (an anonymous
//! request) or an actor: the account a login acts as, or the remote actor
//! that signed a fetch. The rule is the same for both kinds of actor.

use super::ServiceResult;
use crate::{
    model::Visibility,
    storage::{
        Q,
        models::{ActorRow, PostRow},
    },
};

/// Whether `viewer` may see `post`: public and unlisted posts anyone may;
/// followers-only posts their author's accepted followers and the actors they
/// mention; direct posts the actors they mention; the author always. Whether
/// the post still exists (deleted ones answer a Tombstone on some paths) is
/// for the caller.
pub async fn may_see(
    q: &mut Q<'_>,
    post: &PostRow,
    viewer: Option<&ActorRow>,
) -> ServiceResult<bool> {
    // A suspended account's posts are seen by nobody (issue 15).
    if q.is_suspended(post.author_id).await? {
        return Ok(false);
    }
    may_see_by_unsuspended(q, post, viewer).await
}

/// [`may_see`] for a post whose author the caller knows is not suspended
/// (it loaded the author): a public post then costs no query, so a page of
/// them costs the same whatever its length.
pub async fn may_see_by_unsuspended(
    q: &mut Q<'_>,
    post: &PostRow,
    viewer: Option<&ActorRow>,
) -> ServiceResult<bool> {
    if post.is_public() {
        return Ok(true);
    }
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    if viewer.id == post.author_id || q.is_mentioned(post.id, viewer.id).await? {
        return Ok(true);
    }
    Ok(post.visibility() == Visibility::Followers && follows(q, viewer, post.author_id).await?)
}

/// What a list of `author`'s posts may hold for `viewer`, as a filter that
/// storage applies before its limit, so a page comes back full: the levels
/// the viewer sees of every post, and whether posts of other levels that
/// mention the viewer count too. Agrees with [`may_see`].
pub struct ListFilter {
    pub levels: Vec<Visibility>,
    pub mentioning: Option<i64>,
}

pub async fn list_filter(
    q: &mut Q<'_>,
    author_id: i64,
    viewer: Option<&ActorRow>,
) -> ServiceResult<ListFilter> {
    let mut levels = vec![Visibility::Public, Visibility::Unlisted];
    let Some(viewer) = viewer else {
        return Ok(ListFilter {
            levels,
            mentioning: None,
        });
    };
    if viewer.id == author_id {
        levels.extend([Visibility::Followers, Visibility::Direct]);
        return Ok(ListFilter {
            levels,
            mentioning: None,
        });
    }
    if follows(q, viewer, author_id).await? {
        levels.push(Visibility::Followers);
    }
    Ok(ListFilter {
        levels,
        mentioning: Some(viewer.id),
    })
}

async fn follows(q: &mut Q<'_>, viewer: &ActorRow, author_id: i64) -> ServiceResult<bool> {
    Ok(q.follow_between(viewer.id, author_id)
        .await?
        .is_some_and(|f| f.state() == crate::model::FollowState::Accepted))
}
