//! The seam between a hands-free dictation ended at a pause and its follow-on. The first part
//! was decoded alone, so the recogniser closed it with a full stop — typed at once, before
//! anyone knew the speaker would go on. When they went on with the same sentence, the seam's
//! audio decoded as one stretch says so ("thoughts about that", not "thoughts. About that"):
//! the full stop is taken back in the target and the follow-on goes on without a capital.

use crate::transcriber::Transcriber;

use super::job::Job;

/// How much of the follow-on is decoded with the seam: its speech resumes within the follow-on
/// window (1.5 s by default), and a few words of it are enough.
const SEAM_AFTER_SAMPLES: usize = 4 * crate::SAMPLE_RATE as usize;
/// At most this many of the follow-on's first words are taken from the decode in context.
const MAX_WORDS_MENDED: usize = 4;

/// What the seam's audio, decoded as one stretch, says about a follow-on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Seam {
    /// The follow-on's text as heard in context: all of it where the stretch held the whole
    /// follow-on, else its first words, where the follow-on decoded alone (without the speech
    /// before it) heard them differently.
    pub text: String,
    /// The dictation before ended with a full stop, yet the speaker went on with that
    /// sentence: the mark the seam has instead ("," or nothing).
    pub goes_on: Option<String>,
}

impl Seam {
    /// The follow-on's `text`, going on with the sentence of `before` once its full stop is
    /// gone: no capital, and the seam's mark first.
    pub(super) fn go_on(mark: &str, before: &str, text: &str) -> String {
        let before = before.trim_end();
        let before = before.strip_suffix('.').unwrap_or(before);
        let text = crate::text_rules::continue_sentence(before, text);
        match mark {
            "" => text,
            mark => format!("{mark} {}", text.trim_start()),
        }
    }
}

/// Decode the seam of a follow-on in context (the end of the dictation before it and its own
/// start, as one stretch) and read it against the two texts (`after`: the follow-on's own).
pub(super) fn read(transcriber: &mut Transcriber, job: &Job, after: &str) -> Option<Seam> {
    let nothing_before = job.heard_before.is_empty() || job.said_before.trim().is_empty();
    if !job.output.continues || after.trim().is_empty() || nothing_before {
        return None;
    }
    let follow = &job.samples[..job.samples.len().min(SEAM_AFTER_SAMPLES)];
    let seam = [job.heard_before.as_slice(), follow].concat();
    let in_context = match transcriber.transcribe(&seam, &job.options) {
        Ok(t) => crate::text_rules::apply_replacements(&t.text, &job.replacements),
        Err(e) => {
            tracing::warn!("the seam before a follow-on could not be decoded: {e}");
            return None;
        }
    };
    let follow_on = if follow.len() == job.samples.len() {
        FollowOn::Whole
    } else {
        FollowOn::Start
    };
    let read = read_in_context(&job.said_before, &in_context, after, follow_on);
    tracing::debug!(in_context, ?read, "the seam before a follow-on");
    read
}

/// How much of the follow-on the stretch decoded in context holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FollowOn {
    /// All of it (a follow-on of a few words, the common case).
    Whole,
    /// Its first seconds.
    Start,
}

/// Find where the last words of `before` meet the follow-on in `in_context`: the place where
/// most of `before`'s last words and the follow-on's first words agree. `None` when the seam
/// is not found there (the decodes heard other words). Whether the sentence goes on is only
/// read where the last word before was heard alike: else the context's mark is on another
/// word ("thereunder in this regard" for "there under. In this regard" is a real sentence end
/// the context decoded without its full stop).
fn read_in_context(
    before: &str,
    in_context: &str,
    after: &str,
    follow_on: FollowOn,
) -> Option<Seam> {
    let before = words(before);
    let after_words = words(after);
    let context = words(in_context);
    // The seam, how many words agree around it, and how many of them before it.
    let mut best: Option<(usize, usize, usize)> = None;
    for seam in 1..context.len() {
        let behind = context[..seam]
            .iter()
            .rev()
            .zip(before.iter().rev())
            .take_while(|(c, b)| c.bare == b.bare)
            .count();
        let ahead = context[seam..]
            .iter()
            .zip(&after_words)
            .take_while(|(c, a)| c.bare == a.bare)
            .count();
        // One word each side, or two on one side: not a chance match. (The last word before
        // is often heard differently in context — "she'd" alone, "sheep, from" in context.)
        let found = (behind > 0 && ahead > 0) || behind >= 2.min(before.len()) || ahead >= 2;
        if found && best.is_none_or(|(_, most, _)| behind + ahead > most) {
            best = Some((seam, behind + ahead, behind));
        }
    }
    let (seam, _, behind) = best?;
    let last = context[seam - 1]
        .raw
        .trim_end_matches(['"', '\'', ')', '”', '’']);
    let full_stop = behind > 0 && before.last().is_some_and(|w| w.raw.ends_with('.'));
    let goes_on = (full_stop && !last.ends_with(['.', '?', '!', '…'])).then(|| {
        [',', ';', ':', '—']
            .into_iter()
            .find(|&m| last.ends_with(m))
            .map(String::from)
            .unwrap_or_default()
    });
    let heard = &context[seam..];
    // A whole follow-on heard in context is its better decode (a word or two decoded alone
    // is often misheard or doubled: "Whisper, whispered." for "whispered"), so long as the
    // two end alike (the context's decode did not stop short).
    let ends_alike = heard
        .last()
        .zip(after_words.last())
        .is_some_and(|(h, a)| h.bare == a.bare);
    let text = match follow_on {
        FollowOn::Whole if ends_alike => in_context[heard[0].at..].trim_end().to_string(),
        _ => mend_first_words(heard, after, &after_words),
    };
    Some(Seam { text, goes_on })
}

/// `after` with its first words replaced by the context's (`heard`, from the seam on) up to
/// where two words agree again; unchanged when they agree from the start or nowhere near it.
fn mend_first_words(heard: &[Word], after: &str, after_words: &[Word]) -> String {
    let resync = (0..=MAX_WORDS_MENDED).find_map(|skipped| {
        let rest = after_words.get(skipped..)?;
        (0..=MAX_WORDS_MENDED).find_map(|heard_first| {
            let agree = heard.get(heard_first..)?.iter().zip(rest).take(2);
            (agree.clone().count() == 2 && agree.clone().all(|(h, a)| h.bare == a.bare))
                .then_some((heard_first, skipped))
        })
    });
    match resync {
        Some((heard_first, skipped)) if heard_first > 0 || skipped > 0 => {
            let from = after_words[skipped].at;
            let mut mended: Vec<&str> = heard[..heard_first].iter().map(|w| w.raw).collect();
            mended.push(&after[from..]);
            mended.join(" ")
        }
        _ => after.to_string(),
    }
}

struct Word<'a> {
    /// Where it starts in its text.
    at: usize,
    raw: &'a str,
    /// Lowercase letters and digits: what is compared.
    bare: String,
}

fn words(text: &str) -> Vec<Word<'_>> {
    text.split_whitespace()
        .filter_map(|raw| {
            let bare: String = raw
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            let at = raw.as_ptr() as usize - text.as_ptr() as usize;
            (!bare.is_empty()).then_some(Word { at, raw, bare })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goes_on(before: &str, in_context: &str, after: &str) -> Option<String> {
        read_in_context(before, in_context, after, FollowOn::Start).and_then(|seam| seam.goes_on)
    }

    #[test]
    fn the_seam_in_context_says_whether_the_sentence_went_on() {
        let before = "I have a thousand thoughts.";
        let after = "About that thing.";
        // Decoded as one stretch, the sentence runs through the seam.
        let whole = "I have a thousand thoughts about that thing.";
        assert_eq!(goes_on(before, whole, after), Some(String::new()));
        let comma = "thousand thoughts, about that";
        assert_eq!(goes_on(before, comma, after), Some(",".into()));
        // ...or it does end there: the full stop stays.
        let ends = "thousand thoughts. About that thing.";
        assert_eq!(goes_on(before, ends, after), None);
        assert!(read_in_context(before, ends, after, FollowOn::Start).is_some());
        // The stretch's first word cut in half, the follow-on's words only partly heard.
        assert_eq!(
            goes_on(before, "sand thoughts about", after),
            Some("".into())
        );
        // The last word before heard differently in context: the follow-on's words place the
        // seam, but the context's mark is on another word — the full stop stays (here a real
        // sentence end the context decoded without one).
        let regard = "review of activities thereunder in this regard,";
        let seam = read_in_context(
            "of activities there under.",
            regard,
            "In this regard,",
            FollowOn::Start,
        );
        assert_eq!(seam.map(|s| s.goes_on), Some(None));
        // Heard differently on both sides of the seam: not found.
        assert_eq!(
            read_in_context(before, "a thousand thought sabout", after, FollowOn::Start),
            None
        );
        assert_eq!(read_in_context(before, "", after, FollowOn::Start), None);
        // Nothing to take back when the dictation before did not end with a full stop.
        assert_eq!(goes_on("I have a thousand thoughts", whole, after), None);
    }

    #[test]
    fn where_the_words_recur_the_place_with_most_agreeing_wins() {
        let before = "I saw the";
        let after = "Cat sat on the mat.";
        // Both "the cat" pairs agree one word each side; the second agrees more.
        let seam = read_in_context(
            before,
            "the cat. I saw the cat sat on",
            after,
            FollowOn::Start,
        );
        assert_eq!(seam.map(|s| s.text), Some(after.to_string()));
        let before = "I saw the cat.";
        let after = "Sat on the mat.";
        assert_eq!(goes_on(before, "saw the cat. Sat on the", after), None);
        assert_eq!(
            goes_on(before, "I saw the cat sat on the", after),
            Some("".into())
        );
    }

    #[test]
    fn the_follow_on_takes_its_first_words_from_the_seam_heard_in_context() {
        let before = "I have a thousand thoughts.";
        let in_context = "I have a thousand thoughts about that thing.";
        // Decoded alone, its first word was misheard.
        let seam =
            read_in_context(before, in_context, "Felt that thing.", FollowOn::Start).unwrap();
        assert_eq!(seam.text, "about that thing.");
        let before = "A thin stripe.";
        let in_context = "A thin stripe runs down the middle.";
        let seam = read_in_context(
            before,
            in_context,
            "Just a run down the middle.",
            FollowOn::Start,
        )
        .unwrap();
        assert_eq!(seam.text, "runs down the middle.");
        // Heard alike: unchanged, capital and all (the caller decides about capitals).
        let seam =
            read_in_context(before, in_context, "Runs down the middle.", FollowOn::Start).unwrap();
        assert_eq!(seam.text, "Runs down the middle.");
        // No two words agree again within the first few: left as decoded.
        let seam = read_in_context(
            before,
            "A thin stripe runs down",
            "Then a rainbow.",
            FollowOn::Start,
        )
        .unwrap();
        assert_eq!(seam.text, "Then a rainbow.");
    }

    #[test]
    fn a_whole_follow_on_is_taken_as_heard_in_context() {
        let before = "This is all very.";
        let in_context = "This is all very whispered.";
        // Faint and alone, one word was heard twice.
        let seam = read_in_context(before, in_context, "Whisper, whispered.", FollowOn::Whole);
        assert_eq!(seam.map(|s| s.text), Some("whispered.".into()));
        // Only its first seconds were in the stretch: only the first words are mended.
        let seam = read_in_context(before, in_context, "Whisper, whispered.", FollowOn::Start);
        assert_eq!(seam.map(|s| s.text), Some("Whisper, whispered.".into()));
        // The decode in context stopped short of the follow-on's end: its own text stands.
        let short = "This is all very whisp";
        let seam = read_in_context(before, short, "Whispered.", FollowOn::Whole);
        assert_eq!(seam.map(|s| s.text), Some("Whispered.".into()));
    }

    #[test]
    fn a_whole_follow_on_placed_by_its_own_words_takes_the_contexts_closing_mark() {
        // The last word before heard differently ("she'd" / "sheep,"): the seam is placed by
        // the follow-on's words and the full stop stays (the caller gives the capital back).
        let before = "Tarot than she'd.";
        let in_context = "Tarot than sheep, from the yellow pad.";
        let seam = read_in_context(before, in_context, "From the yellow pad", FollowOn::Whole);
        let seam = seam.unwrap();
        assert_eq!(
            (seam.text.as_str(), seam.goes_on),
            ("from the yellow pad.", None)
        );
        // Going on with the sentence, the caller drops the capital anyway.
        let seam = read_in_context(
            "Tarot than.",
            "Tarot than from the pad.",
            "From the pad.",
            FollowOn::Whole,
        );
        assert_eq!(seam.unwrap().goes_on, Some(String::new()));
    }

    #[test]
    fn going_on_drops_the_capital_and_puts_the_mark_first() {
        let before = "I have a thousand thoughts.";
        assert_eq!(Seam::go_on("", before, "About that."), "about that.");
        assert_eq!(Seam::go_on(",", before, "About that."), ", about that.");
        assert_eq!(Seam::go_on("", before, "I think so."), "I think so.");
    }
}
