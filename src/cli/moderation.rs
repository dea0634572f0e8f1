//! `kuvend admin reports|instances|prune` (issue 15 items 5 and 7).

use super::CliError;
use crate::{
    context::Kuvend,
    service::{maintenance, reports},
    storage::models::ActorRow,
};
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportsArgs {
    /// Only reports not resolved yet.
    #[arg(long)]
    pub unresolved: bool,
    #[command(subcommand)]
    pub action: Option<ReportsAction>,
}

#[derive(Debug, Subcommand)]
pub enum ReportsAction {
    /// One report: reporter, target, statuses with their text, comment,
    /// category, whether forwarded, state.
    Show { id: i64 },
    /// Mark a report resolved.
    Resolve {
        id: i64,
        /// What was done about it (plain text, kept with the report).
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InstancesArgs {
    /// Only instances that deliveries skip (failing for longer than
    /// federation.delivery_give_up_hours).
    #[arg(long)]
    pub unavailable: bool,
    /// Only instances that a domain block or the allow-list refuses or
    /// limits, with the block's severity.
    #[arg(long)]
    pub blocked: bool,
    #[command(subcommand)]
    pub action: Option<InstancesAction>,
}

#[derive(Debug, Subcommand)]
pub enum InstancesAction {
    /// Give an instance another chance: available again, its queued
    /// deliveries due now.
    Clear { host: String },
}

/// `@user@domain`, how operators name accounts.
fn handle(actor: &ActorRow) -> String {
    format!("@{}@{}", actor.username, actor.domain)
}

fn when(t: Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

fn state(view: &reports::ReportView) -> String {
    match view.report.resolved_at {
        Some(at) => format!("resolved {}", when(Some(at))),
        None => "unresolved".into(),
    }
}

pub async fn run_reports(ctx: &Kuvend, args: ReportsArgs) -> Result<(), CliError> {
    match args.action {
        None => {
            for view in reports::list(ctx, args.unresolved).await? {
                let r = &view.report;
                println!(
                    "{}\t{}\t{}\tby {}\tagainst {}\t{} statuses\t{}",
                    r.id,
                    when(Some(r.created_at)),
                    r.category,
                    handle(&view.reporter),
                    handle(&view.target),
                    r.post_ids().len(),
                    state(&view),
                );
            }
        }
        Some(ReportsAction::Show { id }) => {
            let view = reports::show(ctx, id).await?;
            let r = &view.report;
            println!("report {}", r.id);
            println!("filed: {}", when(Some(r.created_at)));
            let by = match r.flag_ap_id.as_deref() {
                Some(flag) => format!(
                    "{} ({}) by Flag {flag}",
                    handle(&view.reporter),
                    view.reporter.ap_id
                ),
                None => format!("{} ({})", handle(&view.reporter), view.reporter.ap_id),
            };
            println!("reporter: {by}");
            println!("target: {} ({})", handle(&view.target), view.target.ap_id);
            println!("category: {}", r.category);
            println!("forwarded: {}", if r.forwarded { "yes" } else { "no" });
            println!("state: {}", state(&view));
            if let Some(note) = &r.resolved_note {
                println!("note: {note}");
            }
            println!("comment: {}", r.comment);
            for post in &view.posts {
                // Posts are stored as sanitised HTML; the terminal gets text.
                println!(
                    "status {} {}: {}",
                    post.id,
                    post.ap_id,
                    crate::sanitize::plain(&post.content)
                );
            }
        }
        Some(ReportsAction::Resolve { id, note }) => {
            reports::resolve(ctx, id, note.as_deref()).await?;
            println!("report {id} resolved");
        }
    }
    Ok(())
}

pub async fn run_instances(ctx: &Kuvend, args: InstancesArgs) -> Result<(), CliError> {
    match args.action {
        None => {
            let listed: Vec<(_, Option<String>)> = if args.blocked {
                maintenance::blocked_instances(ctx, args.unavailable)
                    .await?
                    .into_iter()
                    .map(|(item, why)| (item, Some(why)))
                    .collect()
            } else {
                maintenance::instances(ctx, args.unavailable)
                    .await?
                    .into_iter()
                    .map(|item| (item, None))
                    .collect()
            };
            for (item, blocked) in listed {
                let i = &item.instance;
                // With --blocked, the block's severity closes the line.
                let blocked = blocked.map(|why| format!("\t{why}")).unwrap_or_default();
                println!(
                    "{}\t{} {}\tlast success {}\tfailing since {}\t{}\tqueued {}{blocked}",
                    i.domain,
                    i.software.as_deref().unwrap_or("unknown"),
                    i.software_version.as_deref().unwrap_or("-"),
                    when(i.last_success_at),
                    when(i.failing_since),
                    if i.unavailable {
                        "unavailable"
                    } else {
                        "available"
                    },
                    item.queued,
                );
            }
        }
        Some(InstancesAction::Clear { host }) => {
            let due = maintenance::clear_instance(ctx, &host).await?;
            println!("{host} is available again; {due} queued deliveries are due now");
        }
    }
    Ok(())
}

pub async fn run_prune(ctx: &Kuvend) -> Result<(), CliError> {
    let pruned = maintenance::prune(ctx).await?;
    println!(
        "pruned {} finished deliveries and {} received activity ids",
        pruned.deliveries, pruned.received
    );
    Ok(())
}
