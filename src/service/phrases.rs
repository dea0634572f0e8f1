//! The sentences kuvend writes to people about events (issue 12: the
//! Mastodon RSVP poll, its confirmations, reminders), one table per
//! language, so that issue 18's message catalogues can take them over
//! whole. English is the fallback for any language without a table.
//!
//! `{handle}`, `{event}` and `{when}` are filled in by [`fill`].

/// Everything the poll flow and reminders say, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrases {
    /// The last line of an event's readable content, for events that take
    /// answers here.
    pub invitation: &'static str,
    /// The poll's question.
    pub question: &'static str,
    /// The three options, in this order: going, maybe, not going. A vote's
    /// `name` is matched against the names stored with each poll, so a
    /// change here does not break polls already sent.
    pub going: &'static str,
    /// The second option.
    pub maybe: &'static str,
    /// The third option.
    pub not_going: &'static str,
    /// Confirmation of a vote that made the person going.
    pub confirm_going: &'static str,
    /// ... maybe going.
    pub confirm_maybe: &'static str,
    /// ... not going.
    pub confirm_not_going: &'static str,
    /// ... waiting for the organisers' approval.
    pub confirm_pending: &'static str,
    /// ... on the waiting list of a full event.
    pub confirm_waitlisted: &'static str,
    /// The organisers declined this person earlier; a vote does not change that.
    pub confirm_rejected: &'static str,
    /// The word that starts a reminder note, before the event's summary.
    pub reminder: &'static str,
    /// The poll sent with a coalition invitation to software without
    /// invitations (issue 13 item 3). Here `{handle}` is the inviting
    /// organisation's handle, `{event}` the coalition's name and `{when}`
    /// its profile page (placeholders shared with [`fill`]).
    pub coalition_question: &'static str,
    /// The invitation poll's options, in this order: accept, decline. A
    /// vote's `name` is matched against the names stored with each poll.
    pub accept: &'static str,
    /// The second option.
    pub decline: &'static str,
}

const EN: Phrases = Phrases {
    invitation: "Reply to this post mentioning {handle} to say whether you are coming.",
    question: "Are you coming to {event} ({when})? Vote below; the organisers will see your answer.",
    going: "Going",
    maybe: "Maybe",
    not_going: "Not going",
    confirm_going: "Thank you: you are going to {event} ({when}).",
    confirm_maybe: "Noted: you might come to {event} ({when}).",
    confirm_not_going: "Noted: you are not going to {event}.",
    confirm_pending: "Thank you: your participation in {event} is waiting for the organisers' approval.",
    confirm_waitlisted: "{event} is full: you are on the waiting list and will be told when a place frees.",
    confirm_rejected: "The organisers have declined your participation in {event}.",
    reminder: "Reminder",
    coalition_question: "{handle} invites your organisation to join the coalition {event}: {when} . Vote below to accept or decline; following the coalition also accepts.",
    accept: "Accept",
    decline: "Decline",
};

const SQ: Phrases = Phrases {
    invitation: "Përgjigjuni këtij postimi duke përmendur {handle} për të na thënë nëse do të vini.",
    question: "A do të vini në {event} ({when})? Votoni më poshtë; organizatorët do ta shohin përgjigjen tuaj.",
    going: "Po vij",
    maybe: "Ndoshta",
    not_going: "Nuk vij",
    confirm_going: "Faleminderit: do të vini në {event} ({when}).",
    confirm_maybe: "U shënua: ndoshta do të vini në {event} ({when}).",
    confirm_not_going: "U shënua: nuk do të vini në {event}.",
    confirm_pending: "Faleminderit: pjesëmarrja juaj në {event} pret miratimin e organizatorëve.",
    confirm_waitlisted: "{event} është plot: jeni në listën e pritjes dhe do t'ju njoftojmë kur të lirohet një vend.",
    confirm_rejected: "Organizatorët e kanë refuzuar pjesëmarrjen tuaj në {event}.",
    reminder: "Kujtesë",
    coalition_question: "{handle} fton organizatën tuaj të bashkohet me koalicionin {event}: {when} . Votoni më poshtë për ta pranuar ose refuzuar; edhe ndjekja e koalicionit e pranon.",
    accept: "Pranoj",
    decline: "Refuzoj",
};

/// Whether a language tag (`sq`, `sq-AL`, `SQ_al`...) is Albanian: the one
/// rule every text kuvend writes in the event's language goes by.
pub fn is_albanian(language: Option<&str>) -> bool {
    language
        .and_then(|l| l.split(['-', '_']).next())
        .is_some_and(|primary| primary.eq_ignore_ascii_case("sq"))
}

/// The phrases for a language tag; English otherwise.
pub fn phrases(language: Option<&str>) -> &'static Phrases {
    if is_albanian(language) { &SQ } else { &EN }
}

/// Fills the placeholders of a phrase in one pass, so that an event named
/// `{when}` stays named so.
pub fn fill(phrase: &str, handle: &str, event: &str, when: &str) -> String {
    let mut out = String::with_capacity(phrase.len() + event.len() + when.len());
    let mut rest = phrase;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let (value, len) = if tail.starts_with("{handle}") {
            (handle, "{handle}".len())
        } else if tail.starts_with("{event}") {
            (event, "{event}".len())
        } else if tail.starts_with("{when}") {
            (when, "{when}".len())
        } else {
            ("{", 1)
        };
        out.push_str(value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn albanian_and_fallback() {
        assert_eq!(phrases(Some("sq-AL")).going, "Po vij");
        assert_eq!(phrases(Some("SQ_al")).reminder, "Kujtesë");
        assert_eq!(phrases(Some("sqx")).going, "Going");
        assert_eq!(phrases(Some("de")).going, "Going");
        assert_eq!(phrases(None), &EN);
        // The options must differ, or a vote could not be told apart.
        for p in [&EN, &SQ] {
            assert!(p.going != p.maybe && p.maybe != p.not_going && p.going != p.not_going);
            assert!(p.accept != p.decline);
        }
    }

    #[test]
    fn fill_replaces_each_placeholder_once() {
        assert_eq!(
            fill("{event} at {when} {x}", "", "Talk {when}", "18:00"),
            "Talk {when} at 18:00 {x}"
        );
    }
}
