//! Posts, their tags and mentions, reactions, and instance health.

use super::{
    Q, StorageResult,
    models::{ActorRow, PostRow},
    now, on_q,
    schema::{actors, follows, instances, post_mentions, post_tags, posts, reactions},
};
use crate::model::{ReactionKind, Visibility};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A new post id: milliseconds since the epoch in the high bits and a 16-bit
/// sequence below, so ids sort by time (as Mastodon's do, for its client API).
/// The sequence counts up within a process, so two ids of one process never
/// collide (random low bits did, once in 20,000 posts at 400 a second); it
/// starts at a random point, so several processes rarely do, and a collision
/// fails its transaction, never overwrites.
pub fn new_post_id() -> i64 {
    static SEQUENCE: std::sync::LazyLock<std::sync::atomic::AtomicU16> =
        std::sync::LazyLock::new(|| std::sync::atomic::AtomicU16::new(rand::random()));
    let millis = chrono::Utc::now().timestamp_millis().max(0);
    let sequence = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (millis << 16) | i64::from(sequence)
}

/// Changes to a stored post's text.
#[derive(Debug, Clone)]
pub struct PostEdit {
    pub content: String,
    pub source: Option<String>,
    pub summary: Option<String>,
    pub sensitive: bool,
    pub edited_at: NaiveDateTime,
}

impl Q<'_> {
    pub async fn insert_post(
        &mut self,
        post: &PostRow,
        tags: &[String],
        mentions: &[i64],
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(posts::table)
                .values(post)
                .execute(c)
                .await?;
            for tag in tags {
                diesel::insert_into(post_tags::table)
                    .values((post_tags::post_id.eq(post.id), post_tags::tag.eq(tag)))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            for actor_id in mentions {
                diesel::insert_into(post_mentions::table)
                    .values((
                        post_mentions::post_id.eq(post.id),
                        post_mentions::actor_id.eq(actor_id),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            if let Some(parent) = post.in_reply_to_id {
                diesel::update(posts::table.find(parent))
                    .set(posts::replies_count.eq(posts::replies_count + 1))
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Replaces a post's text and its tags.
    pub async fn edit_post(
        &mut self,
        id: i64,
        edit: &PostEdit,
        tags: &[String],
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(posts::table.find(id))
                .set((
                    posts::content.eq(&edit.content),
                    posts::source.eq(&edit.source),
                    posts::summary.eq(&edit.summary),
                    posts::sensitive.eq(edit.sensitive),
                    posts::edited_at.eq(Some(edit.edited_at)),
                    posts::updated_at.eq(now()),
                ))
                .execute(c)
                .await?;
            diesel::delete(post_tags::table.filter(post_tags::post_id.eq(id)))
                .execute(c)
                .await?;
            for tag in tags {
                diesel::insert_into(post_tags::table)
                    .values((post_tags::post_id.eq(id), post_tags::tag.eq(tag)))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Marks a post deleted and drops its text: its id then answers 410.
    /// Its boosts go with it, and its parent counts it no more.
    pub async fn mark_post_deleted(&mut self, id: i64) -> StorageResult<()> {
        self.delete_boosts_of(id).await?;
        let now = now();
        on_q!(self, |c| {
            // Only a post not deleted yet: a second Delete must not lower
            // its parent's count again.
            let parents: Vec<Option<i64>> =
                diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
                    .set((
                        posts::deleted_at.eq(Some(now)),
                        posts::content.eq(""),
                        posts::source.eq(None::<String>),
                        posts::summary.eq(None::<String>),
                        posts::updated_at.eq(now),
                    ))
                    .returning(posts::in_reply_to_id)
                    .get_results(c)
                    .await?;
            // Counted on its parent when stored (`insert_post`,
            // `adopt_replies`); `delete_actor` counts only replies not
            // deleted, so this is subtracted once.
            if let Some(parent) = parents.into_iter().flatten().next() {
                diesel::update(posts::table.find(parent))
                    .set(posts::replies_count.eq(posts::replies_count - 1))
                    .execute(c)
                    .await?;
            }
            diesel::delete(post_tags::table.filter(post_tags::post_id.eq(id)))
                .execute(c)
                .await?;
            diesel::delete(reactions::table.filter(reactions::post_id.eq(id)))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn post_by_id(&mut self, id: i64) -> StorageResult<Option<PostRow>> {
        on_q!(self, |c| Ok(posts::table
            .find(id)
            .select(PostRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn post_by_ap_id(&mut self, ap_id: &str) -> StorageResult<Option<PostRow>> {
        on_q!(self, |c| Ok(posts::table
            .filter(posts::ap_id.eq(ap_id))
            .select(PostRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// An author's live posts of some visibilities, newest first, older
    /// than `max_id`; with `or_mentioning`, also those of other visibilities
    /// that mention that actor (filtered in the query, so a page is full).
    /// Its boosts only `with_boosts` (the client API's account statuses);
    /// pages, documents and outboxes list its own posts alone.
    pub async fn posts_by_author(
        &mut self,
        author_id: i64,
        visibilities: &[Visibility],
        or_mentioning: Option<i64>,
        max_id: Option<i64>,
        limit: i64,
        with_boosts: bool,
    ) -> StorageResult<Vec<PostRow>> {
        let visibilities: Vec<&str> = visibilities.iter().map(|v| v.as_str()).collect();
        on_q!(self, |c| {
            let mut query = posts::table
                .filter(posts::author_id.eq(author_id))
                .filter(posts::deleted_at.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                .filter(posts::id.lt(max_id.unwrap_or(i64::MAX)))
                .into_boxed();
            if !with_boosts {
                query = query.filter(posts::reblog_of_id.is_null());
            }
            query = match or_mentioning {
                Some(actor_id) => query.filter(
                    posts::visibility.eq_any(&visibilities).or(posts::id.eq_any(
                        post_mentions::table
                            .filter(post_mentions::actor_id.eq(actor_id))
                            .select(post_mentions::post_id),
                    )),
                ),
                None => query.filter(posts::visibility.eq_any(&visibilities)),
            };
            Ok(query
                .order(posts::id.desc())
                .limit(limit)
                .select(PostRow::as_select())
                .load(c)
                .await?)
        })
    }

    pub async fn count_posts_by_author(
        &mut self,
        author_id: i64,
        visibilities: &[Visibility],
    ) -> StorageResult<i64> {
        let visibilities: Vec<&str> = visibilities.iter().map(|v| v.as_str()).collect();
        on_q!(self, |c| Ok(posts::table
            .filter(posts::author_id.eq(author_id))
            .filter(posts::visibility.eq_any(&visibilities))
            .filter(posts::deleted_at.is_null())
            // Not the posts of suspended accounts (issue 15).
            .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
            // What the outbox lists: its own posts, not its boosts.
            .filter(posts::reblog_of_id.is_null())
            .count()
            .get_result(c)
            .await?))
    }

    pub async fn count_local_posts(&mut self) -> StorageResult<i64> {
        on_q!(self, |c| Ok(posts::table
            .filter(posts::local.eq(true))
            .filter(posts::deleted_at.is_null())
            .filter(posts::reblog_of_id.is_null())
            .count()
            .get_result(c)
            .await?))
    }

    /// Direct replies to a post with their authors, oldest first.
    pub async fn replies(&mut self, post_id: i64) -> StorageResult<Vec<(PostRow, ActorRow)>> {
        on_q!(self, |c| Ok(posts::table
            .inner_join(actors::table)
            .filter(posts::in_reply_to_id.eq(post_id))
            .filter(posts::deleted_at.is_null())
            // Not the posts of suspended accounts (issue 15).
            .filter(actors::suspended_at.is_null())
            .order(posts::id.asc())
            .select((PostRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// Links stored replies that arrived before their parent.
    pub async fn adopt_replies(&mut self, parent: &PostRow) -> StorageResult<()> {
        on_q!(self, |c| {
            // Read first: replies rarely arrive before their parent, and
            // diesel prepares an UPDATE afresh each time while a SELECT is cached.
            let waiting: Vec<(i64, Option<chrono::NaiveDateTime>)> = posts::table
                .filter(posts::in_reply_to_ap_id.eq(&parent.ap_id))
                .filter(posts::in_reply_to_id.is_null())
                .select((posts::id, posts::deleted_at))
                .load(c)
                .await?;
            if waiting.is_empty() {
                return Ok(());
            }
            let ids: Vec<i64> = waiting.iter().map(|(id, _)| *id).collect();
            diesel::update(posts::table.filter(posts::id.eq_any(&ids)))
                .set(posts::in_reply_to_id.eq(Some(parent.id)))
                .execute(c)
                .await?;
            // A reply deleted before its parent came is linked but not
            // counted, as `mark_post_deleted` would have uncounted it.
            let adopted = waiting
                .iter()
                .filter(|(_, deleted)| deleted.is_none())
                .count();
            if adopted > 0 {
                diesel::update(posts::table.find(parent.id))
                    .set(posts::replies_count.eq(posts::replies_count + adopted as i64))
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Public posts with a tag, local and remote (issue 14 item 5: the tag
    /// page shows every public post we know of, as the tag timeline does),
    /// newest first. Boosts carry no tags; members-only copies are direct.
    pub async fn public_posts_with_tag(
        &mut self,
        tag: &str,
        authors: &super::domain_policy::AuthorDomains,
        max_id: Option<i64>,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, ActorRow)>> {
        use super::domain_policy::AuthorDomains;
        on_q!(self, |c| {
            let mut query = posts::table
                .inner_join(post_tags::table)
                .inner_join(actors::table)
                .filter(post_tags::tag.eq(tag))
                .filter(posts::visibility.eq(Visibility::Public.as_str()))
                .filter(posts::reblog_of_id.is_null())
                .filter(posts::deleted_at.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(actors::suspended_at.is_null())
                .filter(posts::id.lt(max_id.unwrap_or(i64::MAX)))
                .into_boxed();
            // Nor of authors the domain policy keeps out of public pages,
            // matched on the joined author row, before the limit.
            match authors {
                AuthorDomains::Hide(domains) if domains.is_empty() => {}
                AuthorDomains::Hide(domains) => {
                    query = query.filter(
                        actors::local
                            .eq(true)
                            .or(actors::domain.ne_all(domains.clone())),
                    )
                }
                AuthorDomains::ShowOnly(domains) => {
                    query = query.filter(
                        actors::local
                            .eq(true)
                            .or(actors::domain.eq_any(domains.clone())),
                    )
                }
            }
            Ok(query
                .order(posts::id.desc())
                .limit(limit)
                .select((PostRow::as_select(), ActorRow::as_select()))
                .load(c)
                .await?)
        })
    }

    pub async fn post_tags(&mut self, post_id: i64) -> StorageResult<Vec<String>> {
        on_q!(self, |c| Ok(post_tags::table
            .filter(post_tags::post_id.eq(post_id))
            .order(post_tags::tag.asc())
            .select(post_tags::tag)
            .load(c)
            .await?))
    }

    pub async fn post_mentions(&mut self, post_id: i64) -> StorageResult<Vec<ActorRow>> {
        on_q!(self, |c| Ok(post_mentions::table
            .inner_join(actors::table.on(actors::id.eq(post_mentions::actor_id)))
            .filter(post_mentions::post_id.eq(post_id))
            .order(actors::id.asc())
            .select(ActorRow::as_select())
            .load(c)
            .await?))
    }

    /// Whether a post mentions an actor.
    pub async fn is_mentioned(&mut self, post_id: i64, actor_id: i64) -> StorageResult<bool> {
        let found: i64 = on_q!(self, |c| post_mentions::table
            .filter(post_mentions::post_id.eq(post_id))
            .filter(post_mentions::actor_id.eq(actor_id))
            .count()
            .get_result(c)
            .await?);
        Ok(found > 0)
    }

    /// Deletes everything an actor posted (an account deletion), and what
    /// its rows counted on others' posts and events, in the caller's
    /// transaction.
    pub async fn delete_actor(&mut self, actor_id: i64) -> StorageResult<()> {
        // Its likes and boosts go with it (by cascade): the posts they were
        // on count them no more.
        let reacted: Vec<(String, i64)> = on_q!(self, |c| reactions::table
            .filter(reactions::actor_id.eq(actor_id))
            .select((reactions::kind, reactions::post_id))
            .load(c)
            .await?);
        for (kind, post_id) in reacted {
            if let Some(kind) = ReactionKind::parse(&kind) {
                self.bump_reaction_count(kind, post_id, -1).await?;
            }
        }
        // Its replies go too (by cascade): each was counted on its parent
        // when stored (`insert_post`, `adopt_replies`), so each parent
        // counts them no more (issue 15).
        let parents: Vec<i64> = on_q!(self, |c| posts::table
            .filter(posts::author_id.eq(actor_id))
            .filter(posts::in_reply_to_id.is_not_null())
            // A deleted reply was subtracted when deleted
            // (`mark_post_deleted`).
            .filter(posts::deleted_at.is_null())
            .select(posts::in_reply_to_id.assume_not_null())
            .load(c)
            .await?);
        let mut replies: std::collections::BTreeMap<i64, i64> = Default::default();
        for parent in parents {
            *replies.entry(parent).or_default() += 1;
        }
        for (parent, n) in replies {
            on_q!(self, |c| diesel::update(posts::table.find(parent))
                .set(posts::replies_count.eq(posts::replies_count - n))
                .execute(c)
                .await?);
        }
        // Its answers to events go too: their participant counts are
        // recounted without them.
        let events = self.events_participated(actor_id).await?;
        on_q!(self, |c| diesel::delete(actors::table.find(actor_id))
            .execute(c)
            .await?);
        for event in events {
            self.recount_participants(event).await?;
        }
        Ok(())
    }

    /// Records a reaction; false if it was there already (same activity, or the
    /// same actor reacting the same way to the same post).
    pub async fn add_reaction(
        &mut self,
        kind: ReactionKind,
        actor_id: i64,
        post_id: i64,
        activity_ap_id: &str,
    ) -> StorageResult<bool> {
        let now = now();
        let inserted = on_q!(self, |c| {
            diesel::insert_into(reactions::table)
                .values((
                    reactions::kind.eq(kind.as_str()),
                    reactions::actor_id.eq(actor_id),
                    reactions::post_id.eq(post_id),
                    reactions::activity_ap_id.eq(activity_ap_id),
                    reactions::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?
        });
        if inserted == 1 {
            self.bump_reaction_count(kind, post_id, 1).await?;
        }
        Ok(inserted == 1)
    }

    /// Removes a reaction by the activity that made it (Undo), or by
    /// (kind, actor, post); returns the post it was on.
    pub async fn remove_reaction(
        &mut self,
        kind: ReactionKind,
        actor_id: i64,
        activity_ap_id: Option<&str>,
        post_id: Option<i64>,
    ) -> StorageResult<Option<i64>> {
        let found: Option<(i64, i64)> = on_q!(self, |c| {
            let mut query = reactions::table
                .filter(reactions::kind.eq(kind.as_str()))
                .filter(reactions::actor_id.eq(actor_id))
                .into_boxed();
            if let Some(id) = activity_ap_id {
                query = query.filter(reactions::activity_ap_id.eq(id));
            }
            if let Some(post) = post_id {
                query = query.filter(reactions::post_id.eq(post));
            }
            query
                .select((reactions::id, reactions::post_id))
                .get_result(c)
                .await
                .optional()?
        });
        let Some((id, post)) = found else {
            return Ok(None);
        };
        on_q!(self, |c| diesel::delete(reactions::table.find(id))
            .execute(c)
            .await?);
        self.bump_reaction_count(kind, post, -1).await?;
        Ok(Some(post))
    }

    /// The reaction a `Like` or `Announce` with this id made: its kind, its
    /// actor and the post it is on (what an `Undo` naming only the id needs).
    pub async fn reaction_by_activity(
        &mut self,
        activity_ap_id: &str,
    ) -> StorageResult<Option<(ReactionKind, i64, i64)>> {
        let found: Option<(String, i64, i64)> = on_q!(self, |c| reactions::table
            .filter(reactions::activity_ap_id.eq(activity_ap_id))
            .select((reactions::kind, reactions::actor_id, reactions::post_id))
            .get_result(c)
            .await
            .optional()?);
        Ok(found.and_then(|(kind, actor, post)| {
            ReactionKind::parse(&kind).map(|kind| (kind, actor, post))
        }))
    }

    /// The activity id of `actor_id`'s reaction of `kind` on a post.
    pub async fn reaction_activity(
        &mut self,
        kind: ReactionKind,
        actor_id: i64,
        post_id: i64,
    ) -> StorageResult<Option<String>> {
        on_q!(self, |c| Ok(reactions::table
            .filter(reactions::kind.eq(kind.as_str()))
            .filter(reactions::actor_id.eq(actor_id))
            .filter(reactions::post_id.eq(post_id))
            .select(reactions::activity_ap_id)
            .get_result(c)
            .await
            .optional()?))
    }

    /// Inboxes of the accepted followers of an actor, each instance's shared
    /// inbox once when it has one.
    pub async fn follower_inboxes(&mut self, followee_id: i64) -> StorageResult<Vec<String>> {
        let rows: Vec<(String, Option<String>)> = on_q!(self, |c| follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .filter(follows::followee_id.eq(followee_id))
            .filter(follows::state.eq(crate::model::FollowState::Accepted.as_str()))
            .filter(actors::local.eq(false))
            // Nothing is addressed to suspended followers (issue 15).
            .filter(actors::suspended_at.is_null())
            .select((actors::inbox_url, actors::shared_inbox_url))
            .load(c)
            .await?);
        let mut inboxes: Vec<String> = rows
            .into_iter()
            .map(|(inbox, shared)| shared.unwrap_or(inbox))
            .collect();
        inboxes.sort();
        inboxes.dedup();
        Ok(inboxes)
    }

    /// Notes that delivery to `domain` failed; it becomes unavailable once it has
    /// failed without a success for longer than `unavailable_after`.
    pub async fn record_instance_failure(
        &mut self,
        domain: &str,
        unavailable_after: chrono::Duration,
    ) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::insert_into(instances::table)
                .values((
                    instances::domain.eq(domain),
                    instances::failing_since.eq(Some(now)),
                    instances::unavailable.eq(false),
                    instances::updated_at.eq(now),
                ))
                .on_conflict(instances::domain)
                .do_update()
                .set(instances::updated_at.eq(now))
                .execute(c)
                .await?;
            diesel::update(
                instances::table
                    .filter(instances::domain.eq(domain))
                    .filter(instances::failing_since.is_null()),
            )
            .set(instances::failing_since.eq(Some(now)))
            .execute(c)
            .await?;
            diesel::update(
                instances::table
                    .filter(instances::domain.eq(domain))
                    .filter(instances::failing_since.lt(now - unavailable_after)),
            )
            .set(instances::unavailable.eq(true))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    /// Clears an instance's failure record: a delivery succeeded, or it sent us
    /// something.
    pub async fn record_instance_alive(&mut self, domain: &str) -> StorageResult<()> {
        on_q!(self, |c| {
            // Read first: an instance is almost always healthy, and diesel
            // prepares an UPDATE afresh each time while a SELECT is cached.
            let failing: Option<(Option<NaiveDateTime>, bool)> = instances::table
                .filter(instances::domain.eq(domain))
                .select((instances::failing_since, instances::unavailable))
                .get_result(c)
                .await
                .optional()?;
            if matches!(failing, Some((since, unavailable)) if since.is_some() || unavailable) {
                diesel::update(instances::table.filter(instances::domain.eq(domain)))
                    .set((
                        instances::failing_since.eq(None::<NaiveDateTime>),
                        instances::unavailable.eq(false),
                        instances::updated_at.eq(now()),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    pub async fn instance_unavailable(&mut self, domain: &str) -> StorageResult<bool> {
        on_q!(self, |c| Ok(instances::table
            .filter(instances::domain.eq(domain))
            .select(instances::unavailable)
            .get_result::<bool>(c)
            .await
            .optional()?
            .unwrap_or(false)))
    }

    /// Adds `delta` to a post's like or boost count.
    async fn bump_reaction_count(
        &mut self,
        kind: ReactionKind,
        post: i64,
        delta: i64,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            let target = posts::table.find(post);
            match kind {
                ReactionKind::Like => {
                    diesel::update(target)
                        .set(posts::likes_count.eq(posts::likes_count + delta))
                        .execute(c)
                        .await?
                }
                ReactionKind::Announce => {
                    diesel::update(target)
                        .set(posts::boosts_count.eq(posts::boosts_count + delta))
                        .execute(c)
                        .await?
                }
            };
            Ok(())
        })
    }
}
