//! `kuvend admin blocklist …` (issue 15 item 3): subscribed block lists.

use super::CliError;
use crate::{
    context::Kuvend,
    service::blocklists::{self, Mode, Refreshed},
};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BlocklistCommand {
    /// Subscribe to a CSV block list (Mastodon's export format, or one
    /// domain a line) at an http(s) URL or in a local file; read now and daily.
    Subscribe {
        url_or_file: String,
        /// auto: entries become blocks; review: suggestions to accept.
        #[arg(long, value_enum, default_value_t = ApplyMode::Auto)]
        apply: ApplyMode,
    },
    /// Every subscription: id, url, mode, last read, entries, last error.
    List,
    /// Re-read one subscription now (all without an id).
    Refresh { id: Option<i64> },
    /// End a subscription; its blocks are removed unless --keep-blocks.
    Unsubscribe {
        id: i64,
        /// Keep its blocks, as if added by hand.
        #[arg(long)]
        keep_blocks: bool,
    },
    /// Pending suggestions of review-mode lists.
    Suggestions,
    /// Accept a suggestion (or --all): it becomes a block of its list.
    Accept {
        #[arg(required_unless_present = "all")]
        domain: Option<String>,
        #[arg(long, conflicts_with = "domain")]
        all: bool,
    },
    /// Dismiss a suggestion: not offered again while the list keeps it.
    Dismiss { domain: String },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ApplyMode {
    Auto,
    Review,
}

fn print_refreshed(url: &str, r: &Refreshed) {
    println!(
        "list {} ({url}): {} entries; {} blocked, {} updated, {} removed, {} left (already blocked), \
         {} suggested, {} suggestions removed; skipped {} obfuscated, {} invalid; {} remote actors removed",
        r.id,
        r.entries,
        r.added,
        r.updated,
        r.removed,
        r.kept_manual,
        r.suggested,
        r.unsuggested,
        r.obfuscated,
        r.invalid,
        r.actors_removed
    );
}

pub(super) async fn run(ctx: &Kuvend, command: BlocklistCommand) -> Result<(), CliError> {
    match command {
        BlocklistCommand::Subscribe { url_or_file, apply } => {
            let mode = match apply {
                ApplyMode::Auto => Mode::Auto,
                ApplyMode::Review => Mode::Review,
            };
            let done = blocklists::subscribe(ctx, &url_or_file, mode).await?;
            print_refreshed(&url_or_file, &done);
        }
        BlocklistCommand::List => {
            for s in blocklists::subscriptions(ctx).await? {
                println!(
                    "{}\t{}\t{}\tlast read {}\t{} entries\t{}",
                    s.id,
                    s.url,
                    s.mode,
                    s.last_read_at
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "never".into()),
                    s.entries,
                    s.last_error
                        .map(|e| format!("error: {e}"))
                        .unwrap_or_default()
                );
            }
        }
        BlocklistCommand::Refresh { id: Some(id) } => {
            let done = blocklists::refresh(ctx, id).await?;
            print_refreshed(&id.to_string(), &done);
        }
        BlocklistCommand::Refresh { id: None } => {
            let mut failed = None;
            for (url, result) in blocklists::refresh_all(ctx).await? {
                match result {
                    Ok(done) => print_refreshed(&url, &done),
                    Err(e) => {
                        println!("{url}: not read, blocks unchanged: {e}");
                        failed = Some(e);
                    }
                }
            }
            if let Some(e) = failed {
                return Err(e.into());
            }
        }
        BlocklistCommand::Unsubscribe { id, keep_blocks } => {
            let n = blocklists::unsubscribe(ctx, id, keep_blocks).await?;
            if keep_blocks {
                println!("unsubscribed from list {id}; its {n} blocks kept");
            } else {
                println!("unsubscribed from list {id}; its {n} blocks removed");
            }
        }
        BlocklistCommand::Suggestions => {
            for s in blocklists::suggestions(ctx).await? {
                println!(
                    "{}\t{}\t{}\tlist {}\t{}",
                    s.domain,
                    s.severity,
                    if s.reject_media { "reject-media" } else { "-" },
                    s.subscription_id,
                    s.public_comment.unwrap_or_default()
                );
            }
        }
        BlocklistCommand::Accept { domain, .. } => {
            for domain in blocklists::accept(ctx, domain.as_deref()).await? {
                println!("blocked {domain}");
            }
        }
        BlocklistCommand::Dismiss { domain } => {
            let domain = blocklists::dismiss(ctx, &domain).await?;
            println!("dismissed {domain}");
        }
    }
    Ok(())
}
