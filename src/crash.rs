//! Crash messages without the user's words. Rust's own panic messages can quote the string
//! they were working on (a bad slice quotes it), and a dictation's text must never reach a
//! log, a terminal or the system journal that way: quoted parts are cut out before the panic
//! is reported.

/// Report panics through the log (and stderr) with quoted text removed.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "an unknown place".into());
        let thread = std::thread::current();
        let message = format!(
            "internal error in thread {} at {location}: {}",
            thread.name().unwrap_or("unnamed"),
            without_quotes(&payload)
        );
        tracing::error!("{message}");
        eprintln!("{message}");
    }));
}

/// `text` with everything between backticks or double quotes replaced by "…".
pub fn without_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(end) if c == end => {
                out.push('…');
                out.push(c);
                closing = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if matches!(c, '`' | '"') {
                    closing = Some(c);
                }
            }
        }
    }
    if closing.is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::without_quotes;

    #[test]
    fn a_panic_on_the_users_words_does_not_repeat_them() {
        let words = String::from("meet Zoë at the clinic about my diagnosis");
        let at = words.find('ë').map(|i| i + 1).unwrap_or(0);
        let result = std::panic::catch_unwind(|| words[..at].len());
        let payload = result.expect_err("slicing inside a character panics");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.contains("diagnosis"),
            "Rust quotes the string: {message}"
        );
        let cleaned = without_quotes(&message);
        assert!(
            !cleaned.contains("diagnosis") && !cleaned.contains("Zo"),
            "{cleaned}"
        );
        assert!(cleaned.contains("is not a char boundary"), "{cleaned}");
    }
}
