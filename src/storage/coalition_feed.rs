//! What a coalition shows (issue 14 item 4): the posts and events it
//! relayed, for its timeline in the client API, its page and its calendar;
//! and for a remote group, the posts we know that address it or that it
//! boosted.

use super::{
    Q, StorageResult,
    accounts::load_page,
    models::{ActorRow, EventRow, PostRow},
    on_q,
    schema::{actors, coalition_relays, events, post_mentions, posts},
};
use crate::model::Page;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// `Visibility::Public` and `Unlisted` as stored: only what anyone may read
/// is shown for a coalition: a members-only
/// thread or a followers-only post never is, by any of these paths.
const SHOWN: [&str; 2] = ["public", "unlisted"];

/// `text` as a `LIKE` pattern matching itself literally (escape `\`).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

impl Q<'_> {
    /// The originals a coalition relayed, public or unlisted and not
    /// deleted, newest first and paged by status id as Mastodon pages (a
    /// post is relayed when it arrives, so this is also the relays' order).
    pub async fn relayed_posts(
        &mut self,
        coalition_id: i64,
        page: Page,
    ) -> StorageResult<Vec<PostRow>> {
        on_q!(self, |c| {
            let query = posts::table
                .filter(
                    posts::id.eq_any(
                        coalition_relays::table
                            .filter(coalition_relays::coalition_id.eq(coalition_id))
                            .select(coalition_relays::post_id),
                    ),
                )
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq_any(SHOWN))
                .filter(posts::reblog_of_id.is_null())
                .into_boxed();
            Ok(load_page!(query, page, c))
        })
    }

    /// The posts stored here that address a (remote) group, in `to`/`cc`
    /// or by a mention, or that it boosted (the originals): public or
    /// unlisted, not deleted, newest first, paged as Mastodon pages.
    pub async fn group_posts(
        &mut self,
        group: &ActorRow,
        page: Page,
    ) -> StorageResult<Vec<PostRow>> {
        // `to_json`/`cc_json` are JSON arrays of ids: the quoted id matches
        // the id itself, not one it is a prefix of.
        let addressed = format!("%{}%", like_literal(&format!("\"{}\"", group.ap_id)));
        let group_id = group.id;
        on_q!(self, |c| {
            let boosts = diesel::alias!(posts as boosts);
            let query = posts::table
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq_any(SHOWN))
                .filter(posts::reblog_of_id.is_null())
                .filter(
                    posts::to_json
                        .like(addressed.clone())
                        .escape('\\')
                        .or(posts::cc_json.like(addressed.clone()).escape('\\'))
                        .or(posts::id.eq_any(
                            post_mentions::table
                                .filter(post_mentions::actor_id.eq(group_id))
                                .select(post_mentions::post_id),
                        ))
                        .or(posts::id.nullable().eq_any(
                            boosts
                                .filter(boosts.field(posts::author_id).eq(group_id))
                                .filter(boosts.field(posts::deleted_at).is_null())
                                .select(boosts.field(posts::reblog_of_id)),
                        )),
                )
                .into_boxed();
            Ok(load_page!(query, page, c))
        })
    }

    /// A coalition's own events and those it relayed, public or unlisted
    /// (`public_only`: public), not deleted, with their organisers: those
    /// not ended soonest first, or (`past`) those ended, latest first.
    pub async fn coalition_events(
        &mut self,
        coalition_id: i64,
        public_only: bool,
        now: NaiveDateTime,
        past: bool,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, EventRow, ActorRow)>> {
        let levels: &[&str] = if public_only { &SHOWN[..1] } else { &SHOWN };
        on_q!(self, |c| {
            let query = events::table
                .inner_join(posts::table.inner_join(actors::table))
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq_any(levels))
                .filter(
                    posts::author_id.eq(coalition_id).or(posts::id.eq_any(
                        coalition_relays::table
                            .filter(coalition_relays::coalition_id.eq(coalition_id))
                            .select(coalition_relays::post_id),
                    )),
                )
                .select((
                    PostRow::as_select(),
                    EventRow::as_select(),
                    ActorRow::as_select(),
                ))
                .limit(limit)
                .into_boxed();
            // As `events_of`: `NOT` of "not ended" would be NULL for an
            // event without an end, so both are written out.
            Ok(if past {
                query
                    .filter(
                        events::ends_at
                            .lt(now)
                            .or(events::ends_at.is_null().and(events::starts_at.lt(now))),
                    )
                    .order((events::starts_at.desc(), events::post_id.desc()))
                    .load(c)
                    .await?
            } else {
                query
                    .filter(
                        events::ends_at
                            .ge(now)
                            .or(events::ends_at.is_null().and(events::starts_at.ge(now))),
                    )
                    .order((events::starts_at.asc(), events::post_id.asc()))
                    .load(c)
                    .await?
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(
            super::like_literal("\"https://l.test/c/a_b%\\\""),
            "\"https://l.test/c/a\\_b\\%\\\\\""
        );
    }
}
