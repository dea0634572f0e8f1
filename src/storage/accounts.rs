//! Logins, memberships, OAuth apps, codes and tokens, notifications,
//! bookmarks and idempotency keys: what the client API needs.

use super::{
    Q, StorageResult,
    models::{ActorRow, PostRow},
    now, on_q,
    schema::{
        actors, bookmarks, home_feed, idempotency_keys, markers, memberships, notifications,
        oauth_apps, oauth_codes, oauth_tokens, posts, users,
    },
};
use crate::model::Page;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub actor_id: Option<i64>,
    pub approved: bool,
    pub created_at: NaiveDateTime,
    /// Set by `kuvend admin user disable`: no login, no token works.
    pub disabled_at: Option<NaiveDateTime>,
    /// One of the instance's operators: their organisations are told of
    /// reports (`admin.report`).
    pub instance_admin: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_apps)]
pub struct AppRow {
    pub id: i64,
    pub client_id: String,
    pub client_secret_hash: String,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_codes)]
pub struct CodeRow {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    pub actor_id: i64,
    pub scopes: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_tokens)]
pub struct TokenRow {
    pub id: i64,
    pub token_hash: String,
    pub app_id: i64,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub recipient_id: i64,
    pub kind: String,
    pub from_actor_id: i64,
    pub post_id: Option<i64>,
    pub dismissed: bool,
    pub created_at: NaiveDateTime,
    /// For `admin.report`: the report.
    pub report_id: Option<i64>,
}

/// Applies a page request to a boxed posts query and loads it: newest first,
/// or with `min_id` the page just above it (reversed), as Mastodon pages.
macro_rules! load_page {
    ($query:expr, $page:expr, $c:expr) => {
        load_page!($query, $page, $c, posts::id)
    };
    ($query:expr, $page:expr, $c:expr, $id:expr) => {{
        let mut query = $query;
        if let Some(max) = $page.max_id {
            query = query.filter($id.lt(max));
        }
        if let Some(since) = $page.since_id.or($page.min_id) {
            query = query.filter($id.gt(since));
        }
        if $page.min_id.is_some() {
            let mut rows: Vec<PostRow> = query
                .order($id.asc())
                .limit($page.limit)
                .select(PostRow::as_select())
                .load($c)
                .await?;
            rows.reverse();
            rows
        } else {
            query
                .order($id.desc())
                .limit($page.limit)
                .select(PostRow::as_select())
                .load($c)
                .await?
        }
    }};
}
// Coalition timelines (storage::coalition_feed) page the same way.
pub(super) use load_page;

impl Q<'_> {
    pub async fn insert_user(
        &mut self,
        email: &str,
        password_hash: &str,
        actor_id: Option<i64>,
        approved: bool,
    ) -> StorageResult<UserRow> {
        on_q!(self, |c| Ok(diesel::insert_into(users::table)
            .values((
                users::email.eq(email),
                users::password_hash.eq(password_hash),
                users::actor_id.eq(actor_id),
                users::approved.eq(approved),
                users::created_at.eq(now()),
            ))
            .returning(UserRow::as_returning())
            .get_result(c)
            .await?))
    }

    pub async fn user_by_email(&mut self, email: &str) -> StorageResult<Option<UserRow>> {
        on_q!(self, |c| Ok(users::table
            .filter(users::email.eq(email))
            .select(UserRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn user_by_id(&mut self, id: i64) -> StorageResult<UserRow> {
        on_q!(self, |c| Ok(users::table
            .find(id)
            .select(UserRow::as_select())
            .get_result(c)
            .await?))
    }

    pub async fn approve_user(&mut self, email: &str) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::update(
            users::table.filter(users::email.eq(email))
        )
        .set(users::approved.eq(true))
        .execute(c)
        .await?
            == 1))
    }

    pub async fn list_users(&mut self) -> StorageResult<Vec<UserRow>> {
        on_q!(self, |c| Ok(users::table
            .order(users::id.asc())
            .select(UserRow::as_select())
            .load(c)
            .await?))
    }

    pub async fn put_membership(
        &mut self,
        user_id: i64,
        actor_id: i64,
        role: &str,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(memberships::table)
                .values((
                    memberships::user_id.eq(user_id),
                    memberships::actor_id.eq(actor_id),
                    memberships::role.eq(role),
                    memberships::created_at.eq(now()),
                ))
                .on_conflict((memberships::user_id, memberships::actor_id))
                .do_update()
                .set(memberships::role.eq(role))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The role a user has in an organisation, if it is on its staff.
    pub async fn membership_role(
        &mut self,
        user_id: i64,
        actor_id: i64,
    ) -> StorageResult<Option<String>> {
        on_q!(self, |c| Ok(memberships::table
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::actor_id.eq(actor_id))
            .select(memberships::role)
            .get_result(c)
            .await
            .optional()?))
    }

    /// Takes a user off an organisation's staff; false if it was not on it.
    pub async fn remove_membership(&mut self, user_id: i64, actor_id: i64) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::delete(
            memberships::table
                .filter(memberships::user_id.eq(user_id))
                .filter(memberships::actor_id.eq(actor_id))
        )
        .execute(c)
        .await?
            == 1))
    }

    /// Disables a login (kept, with what it wrote).
    pub async fn disable_user(&mut self, user_id: i64) -> StorageResult<()> {
        on_q!(self, |c| diesel::update(users::table.find(user_id))
            .set(users::disabled_at.eq(Some(now())))
            .execute(c)
            .await?);
        Ok(())
    }

    pub async fn set_password_hash(&mut self, user_id: i64, hash: &str) -> StorageResult<()> {
        on_q!(self, |c| diesel::update(users::table.find(user_id))
            .set(users::password_hash.eq(hash))
            .execute(c)
            .await?);
        Ok(())
    }

    /// Revokes every live token of a login; returns how many.
    pub async fn revoke_user_tokens(&mut self, user_id: i64) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::update(
            oauth_tokens::table
                .filter(oauth_tokens::user_id.eq(user_id))
                .filter(oauth_tokens::revoked_at.is_null())
        )
        .set(oauth_tokens::revoked_at.eq(Some(now())))
        .execute(c)
        .await?))
    }

    /// The organisations a user may act as, with the role, oldest membership first.
    pub async fn memberships(&mut self, user_id: i64) -> StorageResult<Vec<(ActorRow, String)>> {
        on_q!(self, |c| Ok(memberships::table
            .inner_join(actors::table.on(actors::id.eq(memberships::actor_id)))
            .filter(memberships::user_id.eq(user_id))
            .order(memberships::created_at.asc())
            .select((ActorRow::as_select(), memberships::role))
            .load(c)
            .await?))
    }

    pub async fn insert_app(
        &mut self,
        client_id: &str,
        secret_hash: &str,
        name: &str,
        website: Option<&str>,
        redirect_uris: &str,
        scopes: &str,
    ) -> StorageResult<AppRow> {
        on_q!(self, |c| Ok(diesel::insert_into(oauth_apps::table)
            .values((
                oauth_apps::client_id.eq(client_id),
                oauth_apps::client_secret_hash.eq(secret_hash),
                oauth_apps::name.eq(name),
                oauth_apps::website.eq(website),
                oauth_apps::redirect_uris.eq(redirect_uris),
                oauth_apps::scopes.eq(scopes),
                oauth_apps::created_at.eq(now()),
            ))
            .returning(AppRow::as_returning())
            .get_result(c)
            .await?))
    }

    pub async fn app_by_client_id(&mut self, client_id: &str) -> StorageResult<Option<AppRow>> {
        on_q!(self, |c| Ok(oauth_apps::table
            .filter(oauth_apps::client_id.eq(client_id))
            .select(AppRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn app_by_id(&mut self, id: i64) -> StorageResult<AppRow> {
        on_q!(self, |c| Ok(oauth_apps::table
            .find(id)
            .select(AppRow::as_select())
            .get_result(c)
            .await?))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_code(
        &mut self,
        code_hash: &str,
        app_id: i64,
        user_id: i64,
        actor_id: i64,
        scopes: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
        expires_at: NaiveDateTime,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(oauth_codes::table)
                .values((
                    oauth_codes::code_hash.eq(code_hash),
                    oauth_codes::app_id.eq(app_id),
                    oauth_codes::user_id.eq(user_id),
                    oauth_codes::actor_id.eq(actor_id),
                    oauth_codes::scopes.eq(scopes),
                    oauth_codes::redirect_uri.eq(redirect_uri),
                    oauth_codes::code_challenge.eq(code_challenge),
                    oauth_codes::expires_at.eq(expires_at),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Takes a code: returns it and deletes it, so it works once. Of two
    /// concurrent takers only the one whose delete removed the row gets it.
    pub async fn take_code(&mut self, code_hash: &str) -> StorageResult<Option<CodeRow>> {
        let found: Option<CodeRow> = on_q!(self, |c| oauth_codes::table
            .find(code_hash)
            .select(CodeRow::as_select())
            .get_result(c)
            .await
            .optional()?);
        if found.is_none() {
            return Ok(None);
        }
        let deleted = on_q!(self, |c| diesel::delete(oauth_codes::table.find(code_hash))
            .execute(c)
            .await?);
        Ok(found.filter(|_| deleted == 1))
    }

    pub async fn insert_token(
        &mut self,
        token_hash: &str,
        app_id: i64,
        user_id: Option<i64>,
        actor_id: Option<i64>,
        scopes: &str,
    ) -> StorageResult<TokenRow> {
        on_q!(self, |c| Ok(diesel::insert_into(oauth_tokens::table)
            .values((
                oauth_tokens::token_hash.eq(token_hash),
                oauth_tokens::app_id.eq(app_id),
                oauth_tokens::user_id.eq(user_id),
                oauth_tokens::actor_id.eq(actor_id),
                oauth_tokens::scopes.eq(scopes),
                oauth_tokens::created_at.eq(now()),
            ))
            .returning(TokenRow::as_returning())
            .get_result(c)
            .await?))
    }

    pub async fn token_by_hash(&mut self, token_hash: &str) -> StorageResult<Option<TokenRow>> {
        on_q!(self, |c| Ok(oauth_tokens::table
            .filter(oauth_tokens::token_hash.eq(token_hash))
            .filter(oauth_tokens::revoked_at.is_null())
            .select(TokenRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn revoke_token(&mut self, token_hash: &str, app_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(
                oauth_tokens::table
                    .filter(oauth_tokens::token_hash.eq(token_hash))
                    .filter(oauth_tokens::app_id.eq(app_id)),
            )
            .set(oauth_tokens::revoked_at.eq(Some(now())))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    pub async fn notify(
        &mut self,
        recipient_id: i64,
        kind: &str,
        from_actor_id: i64,
        post_id: Option<i64>,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(notifications::table)
                .values((
                    notifications::recipient_id.eq(recipient_id),
                    notifications::kind.eq(kind),
                    notifications::from_actor_id.eq(from_actor_id),
                    notifications::post_id.eq(post_id),
                    notifications::dismissed.eq(false),
                    notifications::created_at.eq(now()),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Notifications for an actor, newest first.
    pub async fn notifications(
        &mut self,
        recipient_id: i64,
        page: Page,
    ) -> StorageResult<Vec<NotificationRow>> {
        on_q!(self, |c| {
            let blocked = [super::blocks::BLOCK.to_string()];
            let mut query = notifications::table
                .filter(notifications::recipient_id.eq(recipient_id))
                .filter(notifications::dismissed.eq(false))
                // Nothing from whom the recipient blocks (by name or domain)
                // or mutes with its notifications (issue 15).
                .filter(
                    notifications::from_actor_id
                        .ne_all(super::blocks::hidden_actor_ids!(recipient_id, &blocked)),
                )
                .filter(
                    notifications::from_actor_id
                        .ne_all(super::blocks::domain_blocked_actor_ids!(recipient_id)),
                )
                .filter(
                    notifications::from_actor_id.ne_all(
                        super::blocks::hidden_actor_ids!(
                            recipient_id,
                            [super::blocks::MUTE.to_string()]
                        )
                        .filter(super::schema::account_blocks::notifications.eq(true)),
                    ),
                )
                // Nothing from suspended accounts (issue 15).
                .filter(
                    notifications::from_actor_id.ne_all(super::suspension::suspended_actor_ids!()),
                )
                .into_boxed();
            if let Some(max) = page.max_id {
                query = query.filter(notifications::id.lt(max));
            }
            if let Some(since) = page.since_id.or(page.min_id) {
                query = query.filter(notifications::id.gt(since));
            }
            let rows = if page.min_id.is_some() {
                let mut rows: Vec<NotificationRow> = query
                    .order(notifications::id.asc())
                    .limit(page.limit)
                    .select(NotificationRow::as_select())
                    .load(c)
                    .await?;
                rows.reverse();
                rows
            } else {
                query
                    .order(notifications::id.desc())
                    .limit(page.limit)
                    .select(NotificationRow::as_select())
                    .load(c)
                    .await?
            };
            Ok(rows)
        })
    }

    pub async fn dismiss_notification(
        &mut self,
        recipient_id: i64,
        id: i64,
    ) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::update(
            notifications::table
                .filter(notifications::id.eq(id))
                .filter(notifications::recipient_id.eq(recipient_id)),
        )
        .set(notifications::dismissed.eq(true))
        .execute(c)
        .await?
            == 1))
    }

    /// The home timeline of `actor_id`: its `home_feed` rows (its own posts
    /// and those of the accounts it follows), newest first, read along the
    /// primary key.
    pub async fn home_timeline(
        &mut self,
        actor_id: i64,
        page: Page,
    ) -> StorageResult<Vec<PostRow>> {
        on_q!(self, |c| {
            let hidden = [
                super::blocks::BLOCK.to_string(),
                super::blocks::MUTE.to_string(),
            ];
            let query = home_feed::table
                .inner_join(posts::table)
                .filter(home_feed::owner_id.eq(actor_id))
                .filter(posts::deleted_at.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                // Not the posts of whom the owner blocks or mutes (issue 15).
                .filter(
                    posts::author_id.ne_all(super::blocks::hidden_actor_ids!(actor_id, &hidden)),
                )
                .filter(posts::author_id.ne_all(super::blocks::domain_blocked_actor_ids!(actor_id)))
                .into_boxed();
            Ok(load_page!(query, page, c, home_feed::post_id))
        })
    }

    /// Public posts, local or remote or both, newest first, less those by
    /// remote authors the domain policy keeps out of public listings.
    pub async fn public_timeline(
        &mut self,
        local: Option<bool>,
        tag: Option<&str>,
        authors: &super::domain_policy::AuthorDomains,
        page: Page,
    ) -> StorageResult<Vec<PostRow>> {
        on_q!(self, |c| {
            let mut query = posts::table
                .filter(posts::visibility.eq(crate::model::Visibility::Public.as_str()))
                .filter(posts::deleted_at.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                // Boosts are not content: Mastodon's public timelines leave them out.
                .filter(posts::reblog_of_id.is_null())
                .into_boxed();
            if let Some(local) = local {
                query = query.filter(posts::local.eq(local));
            }
            query = super::domain_policy::filter_author_domains!(query, authors);
            if let Some(tag) = tag {
                query = query.filter(
                    posts::id.eq_any(
                        super::schema::post_tags::table
                            .filter(super::schema::post_tags::tag.eq(tag.to_string()))
                            .select(super::schema::post_tags::post_id),
                    ),
                );
            }
            Ok(load_page!(query, page, c))
        })
    }

    pub async fn add_bookmark(&mut self, actor_id: i64, post_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(bookmarks::table)
                .values((
                    bookmarks::actor_id.eq(actor_id),
                    bookmarks::post_id.eq(post_id),
                    bookmarks::created_at.eq(now()),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn remove_bookmark(&mut self, actor_id: i64, post_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::delete(
                bookmarks::table
                    .filter(bookmarks::actor_id.eq(actor_id))
                    .filter(bookmarks::post_id.eq(post_id)),
            )
            .execute(c)
            .await?;
            Ok(())
        })
    }

    pub async fn idempotent_post(
        &mut self,
        actor_id: i64,
        key: &str,
    ) -> StorageResult<Option<i64>> {
        on_q!(self, |c| Ok(idempotency_keys::table
            .filter(idempotency_keys::actor_id.eq(actor_id))
            .filter(idempotency_keys::key.eq(key))
            .select(idempotency_keys::post_id)
            .get_result(c)
            .await
            .optional()?))
    }

    /// Records the post an Idempotency-Key made, in the post's transaction;
    /// a key already recorded is a `Conflict` (two requests raced).
    pub async fn remember_idempotency_key(
        &mut self,
        actor_id: i64,
        key: &str,
        post_id: i64,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::actor_id.eq(actor_id),
                    idempotency_keys::key.eq(key),
                    idempotency_keys::post_id.eq(post_id),
                    idempotency_keys::created_at.eq(now()),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// A user's markers: (timeline, last read id, version, updated at).
    pub async fn markers(
        &mut self,
        user_id: i64,
    ) -> StorageResult<Vec<(String, String, i32, NaiveDateTime)>> {
        on_q!(self, |c| Ok(markers::table
            .filter(markers::user_id.eq(user_id))
            .select((
                markers::timeline,
                markers::last_read_id,
                markers::version,
                markers::updated_at
            ))
            .load(c)
            .await?))
    }

    /// Sets a marker, counting its version up.
    pub async fn set_marker(
        &mut self,
        user_id: i64,
        timeline: &str,
        last_read_id: &str,
    ) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::insert_into(markers::table)
                .values((
                    markers::user_id.eq(user_id),
                    markers::timeline.eq(timeline),
                    markers::last_read_id.eq(last_read_id),
                    markers::version.eq(1),
                    markers::updated_at.eq(now),
                ))
                .on_conflict((markers::user_id, markers::timeline))
                .do_update()
                .set((
                    markers::last_read_id.eq(last_read_id),
                    markers::version.eq(markers::version + 1),
                    markers::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Actors whose user name starts with `prefix` (local first), for account search.
    pub async fn search_actors(
        &mut self,
        prefix: &str,
        limit: i64,
    ) -> StorageResult<Vec<ActorRow>> {
        let pattern = format!("{}%", prefix.to_lowercase().replace(['%', '_', '\\'], ""));
        on_q!(self, |c| Ok(actors::table
            .filter(actors::username_key.like(&pattern))
            .filter(actors::kind.ne("application"))
            // Suspended accounts are not found (issue 15).
            .filter(actors::suspended_at.is_null())
            .order((actors::local.desc(), actors::username_key.asc()))
            .limit(limit)
            .select(ActorRow::as_select())
            .load(c)
            .await?))
    }
}
