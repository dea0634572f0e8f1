//! The URLs kuvend gives its own actors, objects and endpoints. One place, so
//! that every id federated for a local thing is built the same way.

use url::Url;

/// An id derived from a post's id by a suffix (a path or a fragment).
fn derived(post: &Url, suffix: &str) -> Url {
    // A post's id with a path or fragment appended is still a URL; a failure
    // would be a bug in how the suffix is built.
    Url::parse(&format!("{post}{suffix}"))
        .unwrap_or_else(|e| panic!("kuvend built an invalid URL {post}{suffix}: {e}"))
}

#[derive(Debug, Clone)]
pub struct Urls {
    /// `https://domain`, no trailing slash.
    base: String,
}

impl Urls {
    pub fn new(base: String) -> Urls {
        Urls { base }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> Url {
        // The base is validated at start-up and paths are built here; a failure is a bug.
        Url::parse(&format!("{}{path}", self.base))
            .unwrap_or_else(|e| panic!("kuvend built an invalid URL {}{path}: {e}", self.base))
    }

    pub fn actor(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}"))
    }
    pub fn actor_key(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }
    pub fn inbox(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/inbox"))
    }
    pub fn outbox(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/outbox"))
    }
    pub fn followers(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/followers"))
    }
    pub fn following(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/following"))
    }
    pub fn featured(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/collections/featured"))
    }
    /// A coalition's members collection.
    pub fn members(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/members"))
    }
    /// A coalition's admins (FEP-1b12's moderators collection).
    pub fn moderators(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}/moderators"))
    }
    /// The Member URL with this UUID (as a request names it).
    pub fn member(&self, coalition: &str, uuid: &str) -> Url {
        self.url(&format!("/users/{coalition}/members/{uuid}"))
    }
    /// A fresh Member URL for a membership of a coalition (Mobilizon's
    /// `Member` id): never reused, so answers referring to it stay unique.
    pub fn new_member(&self, coalition: &str) -> Url {
        self.url(&format!(
            "/users/{coalition}/members/{}",
            uuid::Uuid::new_v4()
        ))
    }
    /// A post's id.
    pub fn post(&self, username: &str, id: i64) -> Url {
        self.url(&format!("/users/{username}/statuses/{id}"))
    }
    /// A post's HTML page.
    pub fn post_page(&self, username: &str, id: i64) -> Url {
        self.url(&format!("/@{username}/{id}"))
    }
    /// The page of local posts with a hashtag.
    pub fn tag(&self, tag: &str) -> Url {
        self.url(&format!("/tags/{tag}"))
    }
    /// The HTML profile page.
    pub fn profile(&self, username: &str) -> Url {
        self.url(&format!("/@{username}"))
    }
    pub fn shared_inbox(&self) -> Url {
        self.url("/inbox")
    }
    /// The instance actor (FEP-2677), which signs the instance's own fetches.
    pub fn instance_actor(&self) -> Url {
        self.url("/actor")
    }
    pub fn instance_actor_key(&self) -> String {
        format!("{}#main-key", self.instance_actor())
    }
    pub fn instance_actor_inbox(&self) -> Url {
        self.url("/actor/inbox")
    }
    /// A fresh id for an outgoing activity (follows and their answers,
    /// likes, boosts, undos, profile updates).
    pub fn new_activity(&self) -> Url {
        self.url(&format!("/activities/{}", uuid::Uuid::new_v4()))
    }
    /// The `Create` of a post: derived from the post, so that the outbox
    /// serves the id that was delivered.
    pub fn create_activity(&self, post: &Url) -> Url {
        derived(post, "/activity")
    }
    /// An `Update` of a post, one per edit.
    pub fn update_activity(&self, post: &Url, edited_at_millis: i64) -> Url {
        derived(post, &format!("#updates/{edited_at_millis}"))
    }
    /// The `Delete` of a post.
    pub fn delete_activity(&self, post: &Url) -> Url {
        derived(post, "#delete")
    }
    /// An event's participants collection, which shows only a count.
    pub fn participants(&self, post: &Url) -> Url {
        derived(post, "/participants")
    }
    /// A fresh id for an `Accept` or `Reject` of a Join of the event `post`.
    pub fn join_answer(&self, post: &Url) -> Url {
        derived(
            post,
            &format!("/participants#answers/{}", uuid::Uuid::new_v4()),
        )
    }
    pub fn nodeinfo(&self) -> Url {
        self.url("/nodeinfo/2.1")
    }
    pub fn webfinger_template(&self) -> String {
        format!("{}/.well-known/webfinger?resource={{uri}}", self.base)
    }
}
