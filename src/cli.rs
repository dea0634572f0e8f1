//! The command line: `kuvend serve` and `kuvend admin …`. Errors are one line
//! on stderr and a non-zero exit: 2 for a bad configuration or bad arguments,
//! 1 for anything else.

use crate::model::{DeliveryState, ParticipantState, Visibility};
use crate::{
    app::{self, Prepared, StartError},
    config::{ConfigError, Settings},
    service::{
        self, ServiceError, acting::Acting, coalitions, events, follows, joining, orgs,
        participation, posts,
    },
};
use crate::{context::Kuvend, federation::domain_policy::Severity, service::domain_policy};
use clap::{Args, Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode};

mod blocklist;
mod moderation;

#[derive(Debug, Parser)]
#[command(
    name = "kuvend",
    version,
    about = "A federated ActivityPub server for civil-society organisations"
)]
pub struct Cli {
    /// Configuration file (TOML), read over config/default.toml's defaults.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once at start-up, so the size of the admin variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Administer the instance (works while the server runs).
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Debug, Subcommand)]
pub enum Admin {
    /// Organisations on this instance.
    #[command(subcommand)]
    Org(OrgCommand),
    /// An organisation's followers and follow requests.
    Followers(FollowersArgs),
    /// Make an organisation follow a remote actor (handle user@host or actor URL).
    Follow { org: String, target: String },
    /// Stop following, or withdraw a follow request.
    Unfollow { org: String, target: String },
    /// What an organisation follows, with each follow's state.
    Following { org: String },
    /// Logins: staff of organisations (and, later, supporters).
    #[command(subcommand)]
    User(UserCommand),
    /// Post as an organisation (prints the post's URL), or edit or delete a post.
    Post(PostArgs),
    /// An organisation's events: trainings, forums, actions.
    #[command(subcommand)]
    Event(EventCommand),
    /// Coalitions: Group actors whose admins are organisations.
    #[command(subcommand)]
    Coalition(CoalitionCommand),
    /// Invitations to coalitions an organisation received; accept or decline.
    Invitations(InvitationsArgs),
    /// The delivery queue, newest first.
    Deliveries {
        /// Only deliveries that were given up.
        #[arg(long)]
        failed: bool,
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Instance domain blocks (a domain covers its subdomains).
    #[command(subcommand)]
    DomainBlock(DomainBlockCommand),
    /// The allow-list, for `federation.mode = "allowlist"` and organisations
    /// that take followers from it.
    #[command(subcommand)]
    DomainAllow(DomainAllowCommand),
    /// Reports from our accounts and other instances; show or resolve one.
    Reports(moderation::ReportsArgs),
    /// Other instances: software, last success, failures, queued deliveries;
    /// `clear <host>` gives one another chance.
    Instances(moderation::InstancesArgs),
    /// Delete delivered and given-up deliveries and received activity ids
    /// older than [maintenance]'s ages.
    Prune,
    /// An organisation blocks a remote actor (handle user@host or actor URL)
    /// or a whole domain with its subdomains (a bare host name).
    Block { org: String, target: String },
    /// Lift an organisation's block of an actor or a domain.
    Unblock { org: String, target: String },
    /// An organisation's blocks and mutes.
    Blocks { org: String },
    /// Subscribed block lists (CSV, Mastodon's export format).
    #[command(subcommand)]
    Blocklist(blocklist::BlocklistCommand),
    /// Suspend an account (local username, handle user@host or actor URL):
    /// its content is hidden everywhere, nothing is delivered to or from it,
    /// a local one's logins are refused. Nothing is deleted.
    Suspend { account: String },
    /// Lift a suspension: everything kept is back.
    Unsuspend { account: String },
    /// Suspended accounts.
    Suspended,
    /// Media: the cache of remote images shown through this server.
    #[command(subcommand)]
    Media(MediaCommand),
}

#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Delete cached remote files unused for a while (then the least
    /// recently used beyond media.remote_cache_max_bytes); they are fetched
    /// again when next shown. Prints the files and bytes freed.
    Prune {
        /// Age of the files to delete, in days (`7d` or `7`); default
        /// media.remote_cache_days.
        #[arg(long, value_parser = parse_days)]
        older_than: Option<u32>,
    },
}

/// `7d` or `7`: a number of days.
fn parse_days(value: &str) -> Result<u32, String> {
    value
        .strip_suffix('d')
        .unwrap_or(value)
        .parse()
        .map_err(|_| format!("{value:?} is not a number of days such as 7d"))
}

#[derive(Debug, Subcommand)]
pub enum DomainBlockCommand {
    /// Block a domain and its subdomains (replaces an existing block).
    Add {
        domain: String,
        /// suspend: nothing in or out, its follows and content removed;
        /// silence: out of public timelines and pages; noop: only --reject-media.
        #[arg(long, value_enum, default_value_t = BlockSeverity::Suspend)]
        severity: BlockSeverity,
        /// Do not show its actors' avatars and headers.
        #[arg(long)]
        reject_media: bool,
        /// Why (shown on /api/v1/instance/domain_blocks unless --private).
        #[arg(long)]
        reason: Option<String>,
        /// Keep the reason for the operators.
        #[arg(long)]
        private: bool,
    },
    /// Lift a block.
    Remove { domain: String },
    /// Every block.
    List,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BlockSeverity {
    Suspend,
    Silence,
    Noop,
}

#[derive(Debug, Subcommand)]
pub enum DomainAllowCommand {
    /// Allow a domain and its subdomains.
    Add { domain: String },
    /// Take a domain off the list.
    Remove { domain: String },
    /// The list.
    List,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FollowersFromArg {
    Anyone,
    Allowlist,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation (with its key pair).
    Create {
        /// User name: letters, digits and _, at most 30; part of @name@domain.
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// A short description (plain text).
        #[arg(long, default_value = "")]
        summary: String,
        /// Approve followers by hand.
        #[arg(long)]
        manual_approval: bool,
    },
    /// List organisations.
    List,
    /// Show one organisation.
    Show { username: String },
    /// Change an organisation's settings.
    Update {
        username: String,
        /// Who may follow it (and reply visibly on its pages): anyone, or
        /// only actors on allow-listed domains.
        #[arg(long, value_enum)]
        followers_from: Option<FollowersFromArg>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// A short description (plain text).
        #[arg(long)]
        summary: Option<String>,
        /// Approve followers by hand: true or false.
        #[arg(long)]
        manual_approval: Option<bool>,
        /// A new avatar: a JPEG, PNG, WebP or GIF file (cropped to 400×400,
        /// re-encoded without metadata).
        #[arg(long)]
        avatar: Option<std::path::PathBuf>,
        /// A new header: an image file (cropped to 1500×500).
        #[arg(long)]
        header: Option<std::path::PathBuf>,
        /// A profile field, `Name=value` (repeat, at most 4; replaces all
        /// fields). A value that is a link is verified (rel=me).
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        /// Remove every profile field.
        #[arg(long, conflicts_with = "fields")]
        clear_fields: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CoalitionCommand {
    /// Create a coalition (a Group actor with its key pair); the founding
    /// organisation becomes its first admin.
    Create {
        /// User name: letters, digits and _, at most 30; part of @name@domain.
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The local organisation that founds it.
        #[arg(long)]
        by: String,
        /// A short description (plain text).
        #[arg(long, default_value = "")]
        summary: String,
        /// Approve followers by hand.
        #[arg(long)]
        manual_approval: bool,
        /// Who sees the member list: public, or members (others see a count).
        #[arg(long, default_value = "public")]
        members_visible: String,
        /// What is relayed to followers: all, top-level (replies only to
        /// forum software; the default) or none.
        #[arg(long)]
        relay: Option<String>,
        /// Posts relayed per member and hour (0: no cap; default 20).
        #[arg(long)]
        relay_cap: Option<String>,
    },
    /// List coalitions.
    List,
    /// Show one coalition and its members with their roles.
    Show { username: String },
    /// Change a coalition's profile (sends an Update to its followers).
    Update {
        username: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// A short description (plain text).
        #[arg(long)]
        summary: Option<String>,
        /// Approve followers by hand: true or false.
        #[arg(long)]
        manual_approval: Option<bool>,
        /// public or members.
        #[arg(long)]
        members_visible: Option<String>,
        /// all, top-level or none.
        #[arg(long)]
        relay: Option<String>,
        /// Posts relayed per member and hour (0: no cap).
        #[arg(long)]
        relay_cap: Option<String>,
        /// A new avatar: a JPEG, PNG, WebP or GIF file (cropped to 400×400,
        /// re-encoded without metadata).
        #[arg(long)]
        avatar: Option<std::path::PathBuf>,
        /// A new header: an image file (cropped to 1500×500).
        #[arg(long)]
        header: Option<std::path::PathBuf>,
        /// A profile field, `Name=value` (repeat, at most 4; replaces all
        /// fields). A value that is a link is verified (rel=me).
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        /// Remove every profile field.
        #[arg(long, conflicts_with = "fields")]
        clear_fields: bool,
    },
    /// Invite an organisation (handle user@host, actor URL, or a local
    /// organisation's name) to a coalition; sends an Invite.
    Invite {
        coalition: String,
        target: String,
        /// The inviting organisation: an admin of the coalition.
        #[arg(long)]
        by: String,
        /// A note to the invitee (plain text).
        #[arg(long)]
        message: Option<String>,
    },
    /// A coalition's invitations with their states, newest first.
    Invitations { coalition: String },
    /// Withdraw an open invitation (sends Undo{Invite} to the invitee).
    Revoke { coalition: String, target: String },
    /// A coalition's pending join requests, oldest first.
    Requests { coalition: String },
    /// Accept a pending join request (sends Accept{Join}).
    Authorize {
        coalition: String,
        target: String,
        /// The deciding organisation: an admin of the coalition.
        #[arg(long)]
        by: String,
    },
    /// Refuse a pending join request (sends Reject{Join}).
    Reject {
        coalition: String,
        target: String,
        /// The deciding organisation: an admin of the coalition.
        #[arg(long)]
        by: String,
    },
    /// One of our organisations leaves a coalition (a local name, a handle
    /// or a URL); sends a Leave to a remote one.
    Leave {
        coalition: String,
        /// The organisation that leaves.
        #[arg(long = "as")]
        as_org: String,
    },
    /// An admin removes a member (sends Remove to the remote members).
    Remove {
        coalition: String,
        target: String,
        /// The deciding organisation: an admin of the coalition.
        #[arg(long)]
        by: String,
    },
    /// An admin gives a member the role admin or member.
    Role {
        coalition: String,
        target: String,
        /// admin or member.
        role: String,
        /// The deciding organisation: an admin of the coalition.
        #[arg(long)]
        by: String,
    },
    /// One of our organisations asks to join a coalition (a local name, a
    /// handle or a URL); sends a Join to a remote one.
    Join {
        coalition: String,
        /// The organisation that joins.
        #[arg(long = "as")]
        as_org: String,
        /// A note to the coalition's admins (plain text).
        #[arg(long)]
        message: Option<String>,
    },
    /// Campaign hashtags: members' public posts with one are relayed and
    /// listed on `/@<coalition>/campaigns/<tag>` (issue 14 item 5).
    Campaign {
        #[command(subcommand)]
        action: CampaignAction,
    },
}

/// `kuvend admin coalition campaign …`
#[derive(Debug, Subcommand)]
pub enum CampaignAction {
    /// Name a campaign hashtag (`#` optional).
    Add { coalition: String, tag: String },
    /// Stop a campaign.
    Remove { coalition: String, tag: String },
    /// The coalition's campaigns, oldest first.
    List { coalition: String },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InvitationsArgs {
    /// The organisation whose received invitations to list.
    pub org: Option<String>,
    #[command(subcommand)]
    pub action: Option<InvitationsAction>,
}

#[derive(Debug, Subcommand)]
pub enum InvitationsAction {
    /// Accept an open invitation (sends Accept with the Invite embedded).
    Accept { org: String, coalition: String },
    /// Decline an open invitation (sends Reject with the Invite embedded).
    Decline { org: String, coalition: String },
}

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Create an event (sends Create{Event}); prints its page URL.
    Create {
        /// The organisation that organises it.
        org: String,
        #[command(flatten)]
        fields: Box<EventFields>,
    },
    /// An organisation's upcoming events, soonest first.
    List {
        org: String,
        /// Past events instead, latest first.
        #[arg(long)]
        past: bool,
    },
    /// Show one event.
    Show {
        /// The event's number, id URL or page URL.
        event: String,
    },
    /// Change an event (sends Update{Event}); a new start reschedules it.
    Update {
        /// The event's number, id URL or page URL.
        event: String,
        #[command(flatten)]
        fields: Box<EventFields>,
    },
    /// Cancel an event (sends Update{Event} with the cancelled status).
    Cancel {
        event: String,
        /// Why, shown with the event.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Postpone an event to a date not yet known (sends Update{Event}).
    Postpone {
        event: String,
        /// Why, shown with the event.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move an event online (sends Update{Event} with the moved-online status).
    MoveOnline {
        event: String,
        /// Where it now takes place (needed unless the event has an online URL).
        #[arg(long)]
        online_url: Option<String>,
        /// Why, shown with the event.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Delete an event (sends Delete; its URL answers 410 from then on).
    Delete { event: String },
    /// Who answered an event: handle, state and message, one per line.
    Participants {
        /// The event's number, id URL or page URL.
        event: String,
        /// Only the requests waiting for approval.
        #[arg(long, conflicts_with = "waitlist")]
        pending: bool,
        /// Only the waiting list.
        #[arg(long)]
        waitlist: bool,
    },
    /// Approve a participant (going, or waitlisted when full); a Join gets its Accept.
    Approve {
        /// The event's number, id URL or page URL.
        event: String,
        /// The participant: user@domain, actor id URL or account number.
        actor: String,
    },
    /// Decline a participant; a Join gets a Reject.
    Reject {
        /// The event's number, id URL or page URL.
        event: String,
        /// The participant: user@domain, actor id URL or account number.
        actor: String,
    },
    /// RSVP for an organisation to another organiser's event (a remote one
    /// gets a Join and waits for its Accept); prints the state.
    Join {
        /// The organisation that comes.
        org: String,
        /// The event's URL (fetched when not stored) or number.
        event: String,
        /// A note to the organisers.
        #[arg(long)]
        message: Option<String>,
    },
    /// Withdraw an organisation's RSVP (a remote event gets a Leave).
    Leave {
        /// The organisation.
        org: String,
        /// The event's URL or number.
        event: String,
    },
}

/// The fields of an event (all optional for `update`).
#[derive(Debug, Args)]
pub struct EventFields {
    /// The title.
    #[arg(long)]
    pub name: Option<String>,
    /// Plain text: links, #hashtags and @user@host mentions are linked.
    #[arg(long)]
    pub description: Option<String>,
    /// Wall time in --timezone, e.g. 2026-12-10T18:00.
    #[arg(long)]
    pub start: Option<String>,
    /// Wall time in --timezone.
    #[arg(long)]
    pub end: Option<String>,
    /// IANA time zone, e.g. Europe/Tirane.
    #[arg(long)]
    pub timezone: Option<String>,
    /// The venue's name.
    #[arg(long)]
    pub place: Option<String>,
    /// Street and number.
    #[arg(long)]
    pub address: Option<String>,
    /// Town or city.
    #[arg(long)]
    pub locality: Option<String>,
    /// Two-letter country code, e.g. AL.
    #[arg(long)]
    pub country: Option<String>,
    /// Coordinates, LAT,LON in degrees.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub geo: Option<String>,
    /// Where to take part online.
    #[arg(long, value_name = "URL")]
    pub online_url: Option<String>,
    /// How many may attend.
    #[arg(long, allow_hyphen_values = true)]
    pub capacity: Option<i64>,
    /// free, restricted, external (with --external-url) or invite.
    #[arg(long)]
    pub join_mode: Option<String>,
    /// Where people register, for --join-mode external.
    #[arg(long, value_name = "URL")]
    pub external_url: Option<String>,
    /// One of FEP-8a8e's categories, e.g. MOVEMENTS_POLITICS, LEARNING.
    #[arg(long)]
    pub category: Option<String>,
    /// public, unlisted or followers (create only).
    #[arg(long)]
    pub visibility: Option<String>,
    /// The language the event is written in, e.g. en, sq (create only).
    #[arg(long)]
    pub language: Option<String>,
    /// Remind participants this many minutes before the start, once, by a
    /// direct note (default 1440, a day; 0 turns it off; at most 43200).
    #[arg(long, value_name = "MINUTES", allow_hyphen_values = true)]
    pub reminder: Option<i64>,
    /// A local coalition the organisation belongs to (name or handle),
    /// which relays the event and lists it on its calendar (create only).
    #[arg(long)]
    pub coalition: Option<String>,
    /// An image (JPEG, PNG, WebP or GIF) shown as the event's banner; its
    /// metadata is stripped (issue 16).
    #[arg(long, value_name = "FILE")]
    pub banner: Option<std::path::PathBuf>,
    /// The banner's alt text, for people who cannot see it.
    #[arg(long, requires = "banner")]
    pub banner_alt: Option<String>,
}

impl From<EventFields> for events::EventInput {
    fn from(f: EventFields) -> Self {
        events::EventInput {
            name: f.name,
            description: f.description,
            start: f.start,
            end: f.end,
            timezone: f.timezone,
            place: f.place,
            address: f.address,
            locality: f.locality,
            country: f.country,
            geo: f.geo,
            online_url: f.online_url,
            capacity: f.capacity,
            join_mode: f.join_mode,
            external_url: f.external_url,
            category: f.category,
            visibility: f.visibility,
            language: f.language,
            reminder_minutes: f.reminder,
            coalition: f.coalition,
        }
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FollowersArgs {
    /// The organisation whose followers to list.
    pub org: Option<String>,
    /// List pending follow requests instead.
    #[arg(long)]
    pub pending: bool,
    #[command(subcommand)]
    pub action: Option<FollowersAction>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a login; with --org, a staff member of that organisation.
    Create {
        email: String,
        /// Read the password from this file (first line).
        #[arg(long, value_name = "FILE", conflicts_with = "password")]
        password_file: Option<PathBuf>,
        /// The password (visible in the process list: prefer --password-file).
        #[arg(long)]
        password: Option<String>,
        /// The organisation the user works for.
        #[arg(long)]
        org: Option<String>,
        /// owner or editor.
        #[arg(long, default_value = "editor", requires = "org")]
        role: String,
        /// One of the instance's operators: its organisations are told of
        /// reports.
        #[arg(long)]
        instance_admin: bool,
    },
    /// Add a login to an organisation's staff (or change the role).
    AddToOrg {
        email: String,
        org: String,
        #[arg(long, default_value = "editor")]
        role: String,
    },
    /// Take a login off an organisation's staff; its tokens for the
    /// organisation stop working on their next request.
    RemoveFromOrg { email: String, org: String },
    /// Approve a login that registered while registrations need approval.
    Approve { email: String },
    /// Disable a login: no logging in, and its tokens stop working on their
    /// next request. What it wrote stays.
    Disable { email: String },
    /// Revoke every token of a login (apps must log in again).
    RevokeTokens { email: String },
    /// Set a login's password (its tokens are revoked).
    SetPassword {
        email: String,
        /// Read the new password from this file (first line).
        #[arg(long, value_name = "FILE")]
        password_file: PathBuf,
    },
    /// List logins and the organisations they work for.
    List,
    /// Make a login one of the instance's operators: the organisations it
    /// works for get the `admin.report` notifications (never the reported
    /// one). With --revoke, no longer.
    InstanceAdmin {
        email: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PostArgs {
    /// The organisation that posts.
    pub org: Option<String>,
    /// The text: #hashtags and @user@host mentions are linked.
    pub text: Option<String>,
    /// Who may see it.
    #[arg(long, value_enum, default_value = "public")]
    pub visibility: VisibilityArg,
    /// The post this replies to (its URL).
    #[arg(long, value_name = "URL")]
    pub reply_to: Option<String>,
    /// A content warning shown before the text.
    #[arg(long)]
    pub spoiler: Option<String>,
    /// The language of the text (e.g. en, sq).
    #[arg(long)]
    pub language: Option<String>,
    /// A local coalition the organisation belongs to (name or handle):
    /// the post names it as FEP-1b12 `audience` and the coalition relays it.
    #[arg(long)]
    pub coalition: Option<String>,
    #[command(subcommand)]
    pub action: Option<PostAction>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VisibilityArg {
    Public,
    Unlisted,
    Followers,
    Direct,
}

#[derive(Debug, Subcommand)]
pub enum PostAction {
    /// Replace a post's text (sends Update).
    Edit {
        /// The post's id or URL.
        post: String,
        text: String,
    },
    /// Delete a post (sends Delete; its URL answers 410 from then on).
    Delete {
        /// The post's id or URL.
        post: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FollowersAction {
    /// Approve a pending follow request (sends Accept).
    Approve { org: String, actor: String },
    /// Reject a follow request or remove a follower (sends Reject).
    Reject { org: String, actor: String },
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.command {
        Command::Serve => "info",
        Command::Admin(_) => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUVEND_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let text = match &error {
                CliError::Service(ServiceError::Internal(cause)) => {
                    format!("internal error: {cause:#}")
                }
                other => other.to_string(),
            };
            eprintln!("error: {text}");
            ExitCode::from(error.exit_code())
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => Ok(app::serve(settings).await?),
        Command::Admin(admin) => {
            let prepared = app::prepare(settings).await?;
            run_admin(&prepared, admin).await
        }
    }
}

/// `kuvend admin coalition campaign add|remove|list`: the tag is checked
/// before anything is written, so a refusal changes nothing.
async fn run_campaign(
    ctx: &crate::context::Kuvend,
    action: CampaignAction,
) -> Result<(), CliError> {
    use service::campaigns;
    match action {
        CampaignAction::Add { coalition, tag } => {
            let found = coalitions::coalition(ctx, &coalition).await?;
            let (tag, added) = campaigns::add(ctx, &found.actor, &tag).await?;
            if added {
                println!("#{tag} is now a campaign of {coalition}");
            } else {
                println!("#{tag} was already a campaign of {coalition}");
            }
        }
        CampaignAction::Remove { coalition, tag } => {
            let found = coalitions::coalition(ctx, &coalition).await?;
            let (tag, removed) = campaigns::remove(ctx, &found.actor, &tag).await?;
            if !removed {
                return Err(ServiceError::NotFound(format!(
                    "#{tag} is not a campaign of {coalition}"
                ))
                .into());
            }
            println!("#{tag} is no longer a campaign of {coalition}");
        }
        CampaignAction::List { coalition } => {
            let found = coalitions::coalition(ctx, &coalition).await?;
            for (tag, since) in campaigns::list(ctx, &found.actor).await? {
                println!("#{tag}\t{}", since.format("%Y-%m-%d %H:%M"));
            }
        }
    }
    Ok(())
}

async fn run_coalition(prepared: &Prepared, command: CoalitionCommand) -> Result<(), CliError> {
    let ctx = &prepared.ctx;
    match command {
        CoalitionCommand::Campaign { action } => run_campaign(ctx, action).await?,
        CoalitionCommand::Invite {
            coalition,
            target,
            by,
            message,
        } => {
            let (invitation, invitee) = service::invitations::invite(
                &prepared.data(),
                &coalition,
                &target,
                &by,
                message.as_deref(),
            )
            .await?;
            println!(
                "{by} invited {} to {coalition}: {} ({})",
                invitee.handle(),
                invitation.state,
                invitation.ap_id
            );
        }
        CoalitionCommand::Revoke { coalition, target } => {
            let (_, invitee) =
                service::invitations::revoke(&prepared.data(), &coalition, &target).await?;
            println!(
                "revoked the invitation of {} to {coalition} (Undo queued)",
                invitee.handle()
            );
        }
        CoalitionCommand::Requests { coalition } => {
            for (request, requester) in service::membership::requests(ctx, &coalition).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    requester.handle(),
                    request.created_at,
                    request.message,
                    request.ap_id
                );
            }
        }
        CoalitionCommand::Authorize {
            coalition,
            target,
            by,
        } => {
            let who =
                service::membership::authorize(&prepared.data(), &coalition, &target, &by).await?;
            println!("{} is now a member of {coalition}", who.handle());
        }
        CoalitionCommand::Reject {
            coalition,
            target,
            by,
        } => {
            let who =
                service::membership::reject(&prepared.data(), &coalition, &target, &by).await?;
            println!(
                "refused the request of {} to join {coalition}",
                who.handle()
            );
        }
        CoalitionCommand::Leave { coalition, as_org } => {
            service::membership::leave(&prepared.data(), &coalition, &as_org).await?;
            println!("{as_org} left {coalition}");
        }
        CoalitionCommand::Remove {
            coalition,
            target,
            by,
        } => {
            let who =
                service::membership::remove(&prepared.data(), &coalition, &target, &by).await?;
            println!("removed {} from {coalition}", who.handle());
        }
        CoalitionCommand::Role {
            coalition,
            target,
            role,
            by,
        } => {
            let who =
                service::membership::set_role(&prepared.data(), &coalition, &target, &role, &by)
                    .await?;
            println!("{} is now {role} of {coalition}", who.handle());
        }
        CoalitionCommand::Join {
            coalition,
            as_org,
            message,
        } => {
            let outcome = service::membership::request(
                &prepared.data(),
                &coalition,
                &as_org,
                message.as_deref(),
            )
            .await?;
            match outcome {
                service::membership::JoinOutcome::Member => {
                    println!("{as_org} is now a member of {coalition}")
                }
                service::membership::JoinOutcome::Pending => {
                    println!("{as_org} asked to join {coalition}; the request is pending")
                }
            }
        }
        CoalitionCommand::Invitations { coalition } => {
            for (state, invitation, invitee) in
                service::invitations::of_coalition(ctx, &coalition).await?
            {
                println!(
                    "{}\t{state}\t{}\t{}",
                    invitee.handle(),
                    invitation.reason,
                    invitation.ap_id
                );
            }
        }
        CoalitionCommand::Create {
            username,
            name,
            by,
            summary,
            manual_approval,
            members_visible,
            relay,
            relay_cap,
        } => {
            let created = coalitions::create(
                ctx,
                coalitions::NewCoalition {
                    username,
                    display_name: name,
                    summary,
                    manually_approves_followers: manual_approval,
                    members_visible,
                    relay,
                    relay_cap,
                    by: by.clone(),
                },
            )
            .await?;
            let actor = created.actor;
            println!(
                "created @{}@{} ({}), {by} is its admin",
                actor.username, actor.domain, actor.ap_id
            );
        }
        CoalitionCommand::List => {
            for actor in coalitions::list(ctx).await? {
                println!(
                    "@{}@{}\t{}",
                    actor.username, actor.domain, actor.display_name
                );
            }
        }
        CoalitionCommand::Show { username } => {
            let coalition = coalitions::coalition(ctx, &username).await?;
            let members = coalitions::members(ctx, &coalition).await?;
            let actor = &coalition.actor;
            println!("handle: @{}@{}", actor.username, actor.domain);
            println!("name: {}", actor.display_name);
            println!("id: {}", actor.ap_id);
            println!("profile: {}", actor.profile_url.as_deref().unwrap_or(""));
            println!(
                "manual approval: {}",
                if actor.manually_approves_followers {
                    "yes"
                } else {
                    "no"
                }
            );
            println!("members visible: {}", coalition.settings.members_visible());
            println!("relay: {}", coalition.settings.relay);
            println!(
                "relay cap: {} per member and hour{}",
                coalition.settings.relay_cap,
                if coalition.settings.relay_cap == 0 {
                    " (no cap)"
                } else {
                    ""
                }
            );
            println!("members: {}", members.len());
            for (member, who) in members {
                println!("  @{}\t{}\t{}", who.handle(), member.role(), who.ap_id);
            }
        }
        CoalitionCommand::Update {
            username,
            name,
            summary,
            manual_approval,
            members_visible,
            relay,
            relay_cap,
            avatar,
            header,
            fields,
            clear_fields,
        } => {
            let (mut name, mut summary, mut manual_approval) = (name, summary, manual_approval);
            let media = ProfileFlags {
                avatar,
                header,
                fields,
                clear_fields,
            };
            if media.any() {
                // Images and fields go with the name, bio and approval mode,
                // in one change and one `Update`.
                let actor = coalitions::coalition(ctx, &username).await?.actor;
                let changes = media
                    .changes(name.take(), summary.take(), manual_approval.take())
                    .await?;
                update_profile_and_verify(ctx, actor, changes).await?;
                if members_visible.is_none() && relay.is_none() && relay_cap.is_none() {
                    return Ok(());
                }
            }
            let profile = name.is_some()
                || summary.is_some()
                || manual_approval.is_some()
                || members_visible.is_some();
            let updated = coalitions::update(
                ctx,
                &username,
                coalitions::CoalitionChanges {
                    display_name: name,
                    summary,
                    manually_approves_followers: manual_approval,
                    members_visible,
                    relay,
                    relay_cap,
                },
            )
            .await?;
            println!(
                "updated @{}@{}{}",
                updated.actor.username,
                updated.actor.domain,
                if profile {
                    " (Update queued to its followers)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

async fn run_admin(prepared: &Prepared, admin: Admin) -> Result<(), CliError> {
    let ctx = &prepared.ctx;
    match admin {
        Admin::Org(OrgCommand::Create {
            username,
            name,
            summary,
            manual_approval,
        }) => {
            let org = orgs::create_organization(
                ctx,
                orgs::NewOrganization {
                    username,
                    display_name: name,
                    summary,
                    manually_approves_followers: manual_approval,
                },
            )
            .await?;
            println!("created @{}@{} ({})", org.username, org.domain, org.ap_id);
        }
        Admin::Coalition(command) => run_coalition(prepared, command).await?,
        Admin::Org(OrgCommand::List) => {
            for org in orgs::list_organizations(ctx).await? {
                println!("@{}@{}\t{}", org.username, org.domain, org.display_name);
            }
        }
        Admin::Org(OrgCommand::Show { username }) => {
            let org = orgs::organization(ctx, &username).await?;
            let followers = follows::followers(ctx, &username, false).await?.len();
            let pending = follows::followers(ctx, &username, true).await?.len();
            let following = follows::following(ctx, &username).await?.len();
            println!("handle: @{}@{}", org.username, org.domain);
            println!("name: {}", org.display_name);
            println!("id: {}", org.ap_id);
            println!("profile: {}", org.profile_url.unwrap_or_default());
            println!(
                "manual approval: {}",
                if org.manually_approves_followers {
                    "yes"
                } else {
                    "no"
                }
            );
            println!("followers: {followers} ({pending} pending)");
            println!("following: {following}");
        }
        Admin::Invitations(InvitationsArgs {
            action: Some(action),
            ..
        }) => {
            let (org, coalition, accept) = match action {
                InvitationsAction::Accept { org, coalition } => (org, coalition, true),
                InvitationsAction::Decline { org, coalition } => (org, coalition, false),
            };
            let row =
                service::invitations::answer(&prepared.data(), &org, &coalition, accept).await?;
            println!(
                "{org} {} the invitation to {coalition} ({})",
                if accept { "accepted" } else { "declined" },
                row.ap_id
            );
        }
        Admin::Invitations(InvitationsArgs { org, action: None }) => {
            let org = org.ok_or_else(|| {
                CliError::Usage("name an organisation: kuvend admin invitations <org>".into())
            })?;
            for (state, invitation, coalition) in service::invitations::of_org(ctx, &org).await? {
                println!(
                    "{}\t{state}\t{}\t{}",
                    coalition.handle(),
                    invitation.message.replace('\n', " "),
                    invitation.ap_id
                );
            }
        }
        Admin::Followers(FollowersArgs {
            action: Some(action),
            ..
        }) => match action {
            FollowersAction::Approve { org, actor } => {
                let follower = follows::approve(ctx, &org, &actor).await?;
                println!("approved {} (Accept queued)", follower.handle());
            }
            FollowersAction::Reject { org, actor } => {
                let follower = follows::reject(ctx, &org, &actor).await?;
                println!("rejected {} (Reject queued)", follower.handle());
            }
        },
        Admin::Followers(FollowersArgs {
            org,
            pending,
            action: None,
        }) => {
            let org = org.ok_or_else(|| {
                CliError::Usage("name an organisation: kuvend admin followers <org>".into())
            })?;
            for (follow, actor) in follows::followers(ctx, &org, pending).await? {
                println!("{}\t{}\t{}", actor.handle(), actor.ap_id, follow.state);
            }
        }
        Admin::Follow { org, target } => {
            let (follow, followee) = follows::follow(&prepared.data(), &org, &target).await?;
            println!(
                "{} → {}: {} (Follow queued; the running server delivers it)",
                org,
                followee.handle(),
                follow.state
            );
        }
        Admin::Unfollow { org, target } => {
            let followee = follows::unfollow(ctx, &org, &target).await?;
            println!(
                "{org} no longer follows {} (Undo queued)",
                followee.handle()
            );
        }
        Admin::Following { org } => {
            for (follow, actor) in follows::following(ctx, &org).await? {
                println!("{}\t{}\t{}", actor.handle(), actor.ap_id, follow.state);
            }
        }
        Admin::User(UserCommand::Create {
            email,
            password_file,
            password,
            org,
            role,
            instance_admin,
        }) => {
            let password = match (password_file, password) {
                (Some(file), _) => read_password_file(&file)?,
                (None, Some(password)) => password,
                (None, None) => {
                    return Err(CliError::Usage(
                        "give --password-file FILE or --password P".into(),
                    ));
                }
            };
            let org = org.as_deref().map(|o| (o, role.as_str()));
            let user = service::auth::create_user(ctx, &email, &password, org).await?;
            if instance_admin {
                service::auth::set_instance_admin(ctx, &user.email, true).await?;
            }
            println!("created login {}", user.email);
        }
        Admin::User(UserCommand::AddToOrg { email, org, role }) => {
            service::auth::add_membership(ctx, &email, &org, &role).await?;
            println!("{email} is now {role} of {org}");
        }
        Admin::User(UserCommand::RemoveFromOrg { email, org }) => {
            service::auth::remove_membership(ctx, &email, &org).await?;
            println!("{email} is no longer on the staff of {org}");
        }
        Admin::User(UserCommand::Disable { email }) => {
            service::auth::disable_user(ctx, &email).await?;
            println!("disabled {email}");
        }
        Admin::User(UserCommand::RevokeTokens { email }) => {
            let revoked = service::auth::revoke_tokens(ctx, &email).await?;
            println!("revoked {revoked} token(s) of {email}");
        }
        Admin::User(UserCommand::SetPassword {
            email,
            password_file,
        }) => {
            let password = read_password_file(&password_file)?;
            let revoked = service::auth::set_password(ctx, &email, &password).await?;
            println!("set the password of {email}; revoked {revoked} token(s)");
        }
        Admin::User(UserCommand::Approve { email }) => {
            service::auth::approve_user(ctx, &email).await?;
            println!("approved {email}");
        }
        Admin::User(UserCommand::InstanceAdmin { email, revoke }) => {
            service::auth::set_instance_admin(ctx, &email, !revoke).await?;
            if revoke {
                println!("{email} is no longer an instance admin");
            } else {
                println!("{email} is an instance admin: its organisations are told of reports");
            }
        }
        Admin::User(UserCommand::List) => {
            for (user, memberships) in service::auth::list_users(ctx).await? {
                let orgs: Vec<String> = memberships
                    .iter()
                    .map(|(a, role)| format!("{}:{role}", a.username))
                    .collect();
                let state = if user.disabled_at.is_some() {
                    "disabled"
                } else if user.approved {
                    "approved"
                } else {
                    "waiting for approval"
                };
                println!("{}\t{state}\t{}", user.email, orgs.join(","));
            }
        }
        Admin::Post(PostArgs {
            action: Some(action),
            ..
        }) => match action {
            PostAction::Edit { post, text } => {
                let post = posts::edit_post(&prepared.data(), &post, &text).await?;
                println!("{} (Update queued)", post.url.unwrap_or(post.ap_id));
            }
            PostAction::Delete { post } => {
                let post = posts::delete_post(ctx, &post).await?;
                println!("deleted {} (Delete queued)", post.ap_id);
            }
        },
        Admin::Post(args) => {
            let (Some(org), Some(text)) = (args.org, args.text) else {
                return Err(CliError::Usage(
                    "usage: kuvend admin post <org> <text> (or: post edit|delete)".into(),
                ));
            };
            let visibility = match args.visibility {
                VisibilityArg::Public => Visibility::Public,
                VisibilityArg::Unlisted => Visibility::Unlisted,
                VisibilityArg::Followers => Visibility::Followers,
                VisibilityArg::Direct => Visibility::Direct,
            };
            let post = posts::create_post_addressed(
                &prepared.data(),
                &org,
                posts::NewPost {
                    text,
                    visibility,
                    in_reply_to: args.reply_to,
                    spoiler: args.spoiler,
                    language: args.language,
                },
                args.coalition.as_deref(),
            )
            .await?;
            println!("{}", post.url.unwrap_or(post.ap_id));
        }
        Admin::Event(command) => run_event(prepared, command).await?,
        Admin::DomainBlock(command) => run_domain_block(ctx, command).await?,
        Admin::DomainAllow(command) => run_domain_allow(ctx, command).await?,
        Admin::Org(OrgCommand::Update {
            username,
            followers_from,
            name,
            summary,
            manual_approval,
            avatar,
            header,
            fields,
            clear_fields,
        }) => {
            let media = ProfileFlags {
                avatar,
                header,
                fields,
                clear_fields,
            };
            let profile =
                media.any() || name.is_some() || summary.is_some() || manual_approval.is_some();
            if profile {
                let actor = service::orgs::organization(ctx, &username).await?;
                let changes = media.changes(name, summary, manual_approval).await?;
                update_profile_and_verify(ctx, actor, changes).await?;
            }
            if let Some(value) = followers_from {
                let value = match value {
                    FollowersFromArg::Anyone => domain_policy::FollowersFrom::Anyone,
                    FollowersFromArg::Allowlist => domain_policy::FollowersFrom::Allowlist,
                };
                domain_policy::set_followers_from(ctx, &username, value).await?;
                println!("@{username}: followers from {}", value.as_str());
            } else if !profile {
                return Err(CliError::Usage("nothing to update".into()));
            }
        }
        Admin::Deliveries { failed, limit } => {
            let state = failed.then_some(DeliveryState::Failed);
            let listing = service::deliveries::list(ctx, state, limit).await?;
            for item in listing {
                let d = item.delivery;
                println!(
                    "{}\t{}\t{}\t{}\tattempts={}\tstatus={}\t{}",
                    d.id,
                    d.state,
                    item.activity_kind,
                    d.inbox_url,
                    d.attempts,
                    d.last_status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into()),
                    d.last_error.unwrap_or_default()
                );
            }
        }
        Admin::Reports(args) => moderation::run_reports(ctx, args).await?,
        Admin::Instances(args) => moderation::run_instances(ctx, args).await?,
        Admin::Prune => moderation::run_prune(ctx).await?,
        Admin::Blocklist(command) => blocklist::run(ctx, command).await?,
        Admin::Block { org, target } => {
            let blocked = service::blocks::block(&prepared.data(), &org, &target).await?;
            println!("{org} blocks {}", blocked.describe());
        }
        Admin::Unblock { org, target } => {
            let lifted = service::blocks::unblock(&prepared.data(), &org, &target).await?;
            println!("{org} no longer blocks {}", lifted.describe());
        }
        Admin::Blocks { org } => {
            for (row, actor) in service::blocks::list_for(ctx, &org).await? {
                let target = actor.map_or(row.target.clone(), |a| a.handle());
                let until = row
                    .expires_at
                    .map(|at| format!("\tuntil {at}"))
                    .unwrap_or_default();
                println!("{}\t{target}{until}", row.kind);
            }
        }
        Admin::Suspend { account } => {
            let actor = service::suspension::set(&prepared.data(), &account, true).await?;
            println!("suspended {}", actor.handle());
        }
        Admin::Unsuspend { account } => {
            let actor = service::suspension::set(&prepared.data(), &account, false).await?;
            println!("unsuspended {}", actor.handle());
        }
        Admin::Media(MediaCommand::Prune { older_than }) => {
            let pruned = service::media_proxy::prune(ctx, older_than).await?;
            println!(
                "pruned remote media: {} files, {} bytes freed",
                pruned.files, pruned.bytes
            );
        }
        Admin::Suspended => {
            for actor in service::suspension::list(&prepared.data()).await? {
                let at = actor
                    .suspended_at
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                println!("{}\t{}\t{at}", actor.handle(), actor.ap_id);
            }
        }
    }
    Ok(())
}

async fn run_domain_block(ctx: &Kuvend, command: DomainBlockCommand) -> Result<(), CliError> {
    match command {
        DomainBlockCommand::Add {
            domain,
            severity,
            reject_media,
            reason,
            private,
        } => {
            let severity = match severity {
                BlockSeverity::Suspend => Severity::Suspend,
                BlockSeverity::Silence => Severity::Silence,
                BlockSeverity::Noop => Severity::Noop,
            };
            let added = domain_policy::block(
                ctx,
                domain_policy::BlockRequest {
                    domain: &domain,
                    severity,
                    reject_media,
                    reason: reason.as_deref(),
                    private,
                },
            )
            .await?;
            println!(
                "blocked {} ({}{}); {} remote actors removed",
                added.domain,
                severity.as_str(),
                if reject_media { ", media rejected" } else { "" },
                added.actors_removed
            );
        }
        DomainBlockCommand::Remove { domain } => {
            let domain = domain_policy::unblock(ctx, &domain).await?;
            println!("unblocked {domain}");
        }
        DomainBlockCommand::List => {
            for b in domain_policy::blocks(ctx).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    b.domain,
                    b.severity,
                    if b.reject_media { "reject-media" } else { "-" },
                    match (&b.public_comment, &b.private_comment) {
                        (Some(public), _) => format!("public: {public}"),
                        (None, Some(private)) => format!("private: {private}"),
                        (None, None) => String::new(),
                    }
                );
            }
        }
    }
    Ok(())
}

async fn run_domain_allow(ctx: &Kuvend, command: DomainAllowCommand) -> Result<(), CliError> {
    match command {
        DomainAllowCommand::Add { domain } => {
            let (domain, added) = domain_policy::allow(ctx, &domain).await?;
            if added {
                println!("allowed {domain}");
            } else {
                println!("{domain} was already allowed");
            }
        }
        DomainAllowCommand::Remove { domain } => {
            let domain = domain_policy::disallow(ctx, &domain).await?;
            println!("removed {domain} from the allow-list");
        }
        DomainAllowCommand::List => {
            for domain in domain_policy::allows(ctx).await? {
                println!("{domain}");
            }
        }
    }
    Ok(())
}

/// A password from the first line of a file, so it is not in the process list.
fn read_password_file(file: &std::path::Path) -> Result<String, CliError> {
    Ok(std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?
        .lines()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// Uploads `--banner FILE` (with `--banner-alt`) as the acting account's,
/// processed as any upload is; answers its media id.
async fn upload_banner(
    data: &crate::federation::FedData,
    acting: &Acting,
    fields: &EventFields,
) -> Result<Option<i64>, CliError> {
    let Some(file) = &fields.banner else {
        return Ok(None);
    };
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let upload = crate::service::media::Upload {
        bytes,
        description: fields.banner_alt.clone(),
        focus: None,
    };
    let row =
        crate::service::media::upload(data, acting, crate::media::Purpose::Banner, upload).await?;
    Ok(Some(row.id))
}

/// The instance's administrator acting for the event's organisation.
async fn admin_of_event(prepared: &Prepared, event: &str) -> Result<Acting, CliError> {
    let (_, author) = events::find_event(&prepared.ctx, event).await?;
    Ok(Acting::admin(author))
}

fn print_event(view: &events::EventView) {
    let e = &view.event;
    println!("name: {}", e.name);
    println!("page: {}", view.post.url.clone().unwrap_or_default());
    println!("id: {}", view.post.ap_id);
    println!(
        "start: {} {} ({} UTC)",
        e.start_local,
        e.timezone,
        e.starts_at.format("%Y-%m-%dT%H:%M")
    );
    if let (Some(local), Some(utc)) = (&e.end_local, e.ends_at) {
        println!(
            "end: {local} {} ({} UTC)",
            e.timezone,
            utc.format("%Y-%m-%dT%H:%M")
        );
    }
    println!("status: {}", e.status);
    if let Some(previous) = e.previous_start {
        println!("previous start: {} UTC", previous.format("%Y-%m-%dT%H:%M"));
    }
    if let Some(reason) = &e.status_reason {
        println!("reason: {reason}");
    }
    let place: Vec<&str> = [
        e.place_name.as_deref(),
        e.street_address.as_deref(),
        e.locality.as_deref(),
        e.country.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !place.is_empty() {
        println!("place: {}", place.join(", "));
    }
    if let (Some(lat), Some(lon)) = (e.latitude, e.longitude) {
        println!("geo: {lat},{lon}");
    }
    if let Some(url) = &e.online_url {
        println!("online: {url}");
    }
    if let Some(category) = &e.category {
        println!("category: {category}");
    }
    if let Some(capacity) = e.capacity {
        println!("capacity: {capacity}");
    }
    println!("join mode: {}", e.join_mode);
    if let Some(url) = &e.external_url {
        println!("external registration: {url}");
    }
    println!("visibility: {}", view.post.visibility);
    if let Some(language) = &view.post.language {
        println!("language: {language}");
    }
    if !e.description.is_empty() {
        println!("description: {}", e.description);
    }
}

async fn run_event(prepared: &Prepared, command: EventCommand) -> Result<(), CliError> {
    let data = prepared.data();
    match command {
        EventCommand::Create { org, fields } => {
            let acting = Acting::admin(orgs::local_account(&data, &org).await?);
            let banner = upload_banner(&data, &acting, &fields).await?;
            let view =
                events::create_event_with_banner(&data, &acting, (*fields).into(), banner).await?;
            println!("{}", view.post.url.unwrap_or(view.post.ap_id));
        }
        EventCommand::List { org, past } => {
            let account = orgs::local_account(&data, &org).await?;
            for view in events::list_events(&data, &account, past, 200).await? {
                println!(
                    "{}\t{} {}\t{}\t{}\t{}",
                    view.post.id,
                    view.event.start_local,
                    view.event.timezone,
                    view.event.status,
                    view.event.name,
                    view.post.url.unwrap_or(view.post.ap_id)
                );
            }
        }
        EventCommand::Show { event } => {
            let (view, _) = events::find_event(&data, &event).await?;
            print_event(&view);
        }
        EventCommand::Update { event, fields } => {
            let acting = admin_of_event(prepared, &event).await?;
            let banner = upload_banner(&data, &acting, &fields).await?;
            let input = (*fields).into();
            let view =
                events::update_event_with_banner(&data, &acting, &event, input, banner).await?;
            println!(
                "{} (Update queued)",
                view.post.url.unwrap_or(view.post.ap_id)
            );
        }
        EventCommand::Cancel { event, reason } => {
            let acting = admin_of_event(prepared, &event).await?;
            let view = events::cancel_event(&data, &acting, &event, reason).await?;
            println!(
                "cancelled {} (Update queued)",
                view.post.url.unwrap_or(view.post.ap_id)
            );
        }
        EventCommand::Postpone { event, reason } => {
            let acting = admin_of_event(prepared, &event).await?;
            let view = events::postpone_event(&data, &acting, &event, reason).await?;
            println!(
                "postponed {} (Update queued)",
                view.post.url.unwrap_or(view.post.ap_id)
            );
        }
        EventCommand::MoveOnline {
            event,
            online_url,
            reason,
        } => {
            let acting = admin_of_event(prepared, &event).await?;
            let view =
                events::move_event_online(&data, &acting, &event, online_url, reason).await?;
            println!(
                "moved online {} (Update queued)",
                view.post.url.unwrap_or(view.post.ap_id)
            );
        }
        EventCommand::Delete { event } => {
            let acting = admin_of_event(prepared, &event).await?;
            let post = events::delete_event(&data, &acting, &event).await?;
            println!("deleted {} (Delete queued)", post.ap_id);
        }
        EventCommand::Participants {
            event,
            pending,
            waitlist,
        } => {
            let acting = admin_of_event(prepared, &event).await?;
            let state = if pending {
                Some(ParticipantState::Pending)
            } else if waitlist {
                Some(ParticipantState::Waitlisted)
            } else {
                None
            };
            for p in participation::participants(&data, &acting, &event, state).await? {
                println!(
                    "{}\t{}\t{}",
                    p.actor.handle(),
                    p.row.state,
                    // One line each: a message's line breaks would split it.
                    p.row
                        .message
                        .unwrap_or_default()
                        .replace(['\n', '\r', '\t'], " ")
                );
            }
        }
        EventCommand::Approve { event, actor } => {
            decide(prepared, &event, &actor, participation::Decision::Approve).await?;
        }
        EventCommand::Reject { event, actor } => {
            decide(prepared, &event, &actor, participation::Decision::Reject).await?;
        }
        EventCommand::Join {
            org,
            event,
            message,
        } => {
            let acting = Acting::admin(orgs::local_account(&data, &org).await?);
            let joined = joining::join_event(&data, &acting, &event, message).await?;
            println!(
                "{}\t{}",
                joined.view.post.ap_id,
                joined.state.map(|s| s.as_str()).unwrap_or("none")
            );
        }
        EventCommand::Leave { org, event } => {
            let acting = Acting::admin(orgs::local_account(&data, &org).await?);
            let left = joining::leave_event(&data, &acting, &event).await?;
            println!("{}\tnot_going", left.view.post.ap_id);
        }
    }
    Ok(())
}

/// Approves or declines a participant and prints their new state.
async fn decide(
    prepared: &Prepared,
    event: &str,
    actor: &str,
    decision: participation::Decision,
) -> Result<(), CliError> {
    let data = prepared.data();
    let acting = admin_of_event(prepared, event).await?;
    let p = participation::decide(&data, &acting, event, actor, decision).await?;
    println!("{}\t{}", p.actor.handle(), p.row.state);
    Ok(())
}

/// The profile flags `org update` and `coalition update` share (issue 16).
struct ProfileFlags {
    avatar: Option<std::path::PathBuf>,
    header: Option<std::path::PathBuf>,
    fields: Vec<String>,
    clear_fields: bool,
}

impl ProfileFlags {
    fn any(&self) -> bool {
        self.avatar.is_some()
            || self.header.is_some()
            || !self.fields.is_empty()
            || self.clear_fields
    }

    /// The change to make: files read, `Name=value` split.
    async fn changes(
        self,
        name: Option<String>,
        summary: Option<String>,
        manual_approval: Option<bool>,
    ) -> Result<service::profile::ProfileChanges, CliError> {
        let read = |path: Option<std::path::PathBuf>| async move {
            match path {
                Some(path) => tokio::fs::read(&path)
                    .await
                    .map(Some)
                    .map_err(|e| CliError::Usage(format!("{}: {e}", path.display()))),
                None => Ok(None),
            }
        };
        let fields = if self.clear_fields {
            Some(Vec::new())
        } else if self.fields.is_empty() {
            None
        } else {
            let mut pairs = Vec::new();
            for field in &self.fields {
                let Some((n, v)) = field.split_once('=') else {
                    return Err(CliError::Usage(format!(
                        "--field {field:?}: expected Name=value"
                    )));
                };
                pairs.push((n.to_string(), v.to_string()));
            }
            Some(pairs)
        };
        Ok(service::profile::ProfileChanges {
            display_name: name,
            note: summary,
            locked: manual_approval,
            fields,
            avatar: read(self.avatar).await?,
            header: read(self.header).await?,
            ..Default::default()
        })
    }
}

/// How long the command waits for the profile's links to be checked.
const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Changes a profile as its owner, then checks its links (rel=me) before
/// returning, so the command's output says which are verified.
async fn update_profile_and_verify(
    ctx: &Kuvend,
    actor: service::ActorRow,
    changes: service::profile::ProfileChanges,
) -> Result<(), CliError> {
    let verify = changes.touches_fields();
    let acting = service::acting::Acting::admin(actor);
    let row = service::profile::update(
        ctx,
        &acting,
        changes,
        service::orgs::GroupSettings::default(),
    )
    .await?;
    println!(
        "updated @{}@{} (Update queued to its followers)",
        row.username, row.domain
    );
    if verify {
        match tokio::time::timeout(VERIFY_WAIT, service::profile::verify_links(ctx, row.id)).await {
            Ok(Ok(n)) => println!("{n} verified link(s)"),
            Ok(Err(e)) => println!("links not verified: {e}"),
            Err(_) => println!("links not verified within {} s", VERIFY_WAIT.as_secs()),
        }
    }
    Ok(())
}
