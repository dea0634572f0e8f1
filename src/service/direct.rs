//! Direct notes from an organisation to one person: the RSVP poll, its
//! confirmation and event reminders (issue 12) all write one. Addressed to
//! that person alone and starting with a mention of them, so Mastodon
//! notifies them and nobody else learns of it.

use super::{
    ServiceResult,
    acting::Acting,
    outbox::{Audience, Outbox},
    posts::{LocalPost, insert_local_post, new_local_post},
    text::{self, MentionRef, MentionTarget},
};
use crate::{
    context::Kuvend,
    federation::outgoing::{self, NoteParts},
    model::Visibility,
    storage::{
        Q,
        models::{ActorRow, PostRow},
    },
};

/// A direct post of `author` to `person` alone (not yet stored): `sentence`
/// after a mention of them, in `language`, replying to `parent` if given.
/// `ap_type` is `Note`, or `Question` for a poll.
pub(crate) fn direct_post(
    ctx: &Kuvend,
    author: &ActorRow,
    person: &ActorRow,
    ap_type: &'static str,
    sentence: &str,
    language: Option<String>,
    parent: Option<&PostRow>,
) -> ServiceResult<PostRow> {
    let source = format!("@{}@{} {sentence}", person.username, person.domain);
    let mention = MentionTarget {
        mention: MentionRef {
            username: person.username.clone(),
            domain: Some(person.domain.to_lowercase()),
        },
        href: person
            .profile_url
            .clone()
            .unwrap_or_else(|| person.ap_id.clone()),
    };
    let content = text::render(&source, &[mention], |tag| ctx.urls.tag(tag).to_string());
    new_local_post(
        &ctx.urls,
        &Acting::admin(author.clone()),
        LocalPost {
            ap_type,
            visibility: Visibility::Direct,
            content,
            source,
            summary: None,
            language,
            parent,
            mentions: std::slice::from_ref(person),
        },
    )
}

/// Stores a direct note of `author` to `person` and queues its `Create` to
/// them alone, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send_note(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    author: &ActorRow,
    person: &ActorRow,
    sentence: &str,
    language: Option<String>,
    parent: Option<&PostRow>,
) -> ServiceResult<PostRow> {
    let row = direct_post(ctx, author, person, "Note", sentence, language, parent)?;
    let mentions = std::slice::from_ref(person);
    insert_local_post(q, &row, &[], mentions).await?;
    let create = outgoing::create_note(
        &ctx.urls,
        &NoteParts {
            post: &row,
            author,
            tags: &[],
            mentions,
        },
    )?;
    // A direct post's audience is its mentions, and the only one is them.
    outbox
        .queue(q, author, &create, &[Audience::Actors(mentions)])
        .await?;
    Ok(row)
}
