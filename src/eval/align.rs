//! Word alignment of a hypothesis against a reference (both normalised as for the word error
//! rate): which words matched, were substituted, dropped or invented. The eval's per-item diffs,
//! its "words invented" check and the vocabulary proposals read it.

use serde::Serialize;

use super::normalize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    Same {
        word: String,
    },
    Substituted {
        said: String,
        heard: String,
    },
    /// Said but missing from the text.
    Dropped {
        said: String,
    },
    /// In the text but never said.
    Invented {
        heard: String,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub reference_words: usize,
    pub substituted: usize,
    pub dropped: usize,
    pub invented: usize,
}

impl Counts {
    pub fn errors(&self) -> usize {
        self.substituted + self.dropped + self.invented
    }
}

/// The cheapest edit path (Levenshtein over words); on ties a substitution is preferred, then
/// a dropped word, so that "heard X for Y" reads naturally.
pub fn align(reference: &str, hypothesis: &str) -> Vec<Step> {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    let (n, m) = (r.len(), h.len());
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in cost.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in cost[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let diagonal = cost[i - 1][j - 1] + usize::from(r[i - 1] != h[j - 1]);
            cost[i][j] = diagonal.min(cost[i - 1][j] + 1).min(cost[i][j - 1] + 1);
        }
    }
    let mut steps = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        if i > 0 && j > 0 && cost[i][j] == cost[i - 1][j - 1] + usize::from(r[i - 1] != h[j - 1]) {
            steps.push(if r[i - 1] == h[j - 1] {
                Step::Same {
                    word: r[i - 1].clone(),
                }
            } else {
                Step::Substituted {
                    said: r[i - 1].clone(),
                    heard: h[j - 1].clone(),
                }
            });
            i -= 1;
            j -= 1;
        } else if i > 0 && cost[i][j] == cost[i - 1][j] + 1 {
            steps.push(Step::Dropped {
                said: r[i - 1].clone(),
            });
            i -= 1;
        } else {
            steps.push(Step::Invented {
                heard: h[j - 1].clone(),
            });
            j -= 1;
        }
    }
    steps.reverse();
    steps
}

pub fn counts(steps: &[Step]) -> Counts {
    let mut c = Counts::default();
    for step in steps {
        match step {
            Step::Same { .. } => c.reference_words += 1,
            Step::Substituted { .. } => {
                c.reference_words += 1;
                c.substituted += 1;
            }
            Step::Dropped { .. } => {
                c.reference_words += 1;
                c.dropped += 1;
            }
            Step::Invented { .. } => c.invented += 1,
        }
    }
    c
}

/// The reference words the text missed (substituted or dropped), in order.
pub fn missed_words(steps: &[Step]) -> impl Iterator<Item = &str> {
    steps.iter().filter_map(|s| match s {
        Step::Substituted { said, .. } | Step::Dropped { said } => Some(said.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_name_what_was_substituted_dropped_and_invented() {
        let steps = align(
            "ask not what your country",
            "ask knot what the your country can",
        );
        assert_eq!(
            steps,
            vec![
                Step::Same { word: "ask".into() },
                Step::Substituted {
                    said: "not".into(),
                    heard: "knot".into()
                },
                Step::Same {
                    word: "what".into()
                },
                Step::Invented {
                    heard: "the".into()
                },
                Step::Same {
                    word: "your".into()
                },
                Step::Same {
                    word: "country".into()
                },
                Step::Invented {
                    heard: "can".into()
                },
            ]
        );
        let c = counts(&steps);
        assert_eq!(
            (c.reference_words, c.substituted, c.dropped, c.invented),
            (5, 1, 0, 2)
        );
        assert_eq!(missed_words(&steps).collect::<Vec<_>>(), ["not"]);
    }

    #[test]
    fn the_counts_give_the_word_error_rate() {
        for (reference, hypothesis) in [
            (
                "The child almost hurt the small dog.",
                "the child almost hurts small dog too",
            ),
            ("one two three", ""),
            ("", "words for silence"),
            ("And so, my fellow Americans", "and so my fellow americans"),
        ] {
            let c = counts(&align(reference, hypothesis));
            let wer = super::super::word_error_rate(reference, hypothesis);
            let from_counts = if c.reference_words == 0 {
                f64::from(u8::from(c.invented > 0))
            } else {
                c.errors() as f64 / c.reference_words as f64
            };
            assert!(
                (wer - from_counts).abs() < 1e-9,
                "{reference:?} / {hypothesis:?}"
            );
        }
    }
}
