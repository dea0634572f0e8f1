//! The sentences of the Mastodon RSVP poll (issue 12 item 2), one table per
//! language, so that issue 18's message catalogues can take them over
//! whole. English is the fallback for any language without a table.
//!
//! `{handle}`, `{event}` and `{when}` are filled in by [`fill`].

/// Everything the poll flow says, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPhrases {
    /// The last line of an event's readable content, for events that take
    /// answers here.
    pub invitation: &'static str,
    /// The poll's question.
    pub question: &'static str,
    /// The three options, in this order: going, maybe, not going. A vote's
    /// `name` is matched against the names stored with each poll, so a
    /// change here does not break polls already sent.
    pub going: &'static str,
    pub maybe: &'static str,
    pub not_going: &'static str,
    /// Confirmations, by the state the vote resulted in.
    pub confirm_going: &'static str,
    pub confirm_maybe: &'static str,
    pub confirm_not_going: &'static str,
    pub confirm_pending: &'static str,
    pub confirm_waitlisted: &'static str,
    /// The organisers declined this person earlier; a vote does not change that.
    pub confirm_rejected: &'static str,
}

const EN: PollPhrases = PollPhrases {
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
};

const SQ: PollPhrases = PollPhrases {
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
};

/// The phrases for a language tag (`sq`, `sq-AL`, ...); English otherwise.
pub fn poll_phrases(language: Option<&str>) -> &'static PollPhrases {
    let primary = language
        .and_then(|l| l.split(['-', '_']).next())
        .map(str::to_ascii_lowercase);
    match primary.as_deref() {
        Some("sq") => &SQ,
        _ => &EN,
    }
}

/// Fills the placeholders of a phrase.
pub fn fill(phrase: &str, handle: &str, event: &str, when: &str) -> String {
    phrase
        .replace("{handle}", handle)
        .replace("{event}", event)
        .replace("{when}", when)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn albanian_and_fallback() {
        assert_eq!(poll_phrases(Some("sq-AL")).going, "Po vij");
        assert_eq!(poll_phrases(Some("de")).going, "Going");
        assert_eq!(poll_phrases(None), &EN);
        // The options must differ, or a vote could not be told apart.
        for p in [&EN, &SQ] {
            assert!(p.going != p.maybe && p.maybe != p.not_going && p.going != p.not_going);
        }
    }
}
