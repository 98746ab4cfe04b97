//! Greedy transducer decoding: TDT (token + duration heads, Parakeet) and RNN-T (Nemotron).

use super::network::{EncoderFrames, Networks, PredictorState};

/// Symbols one frame may emit before decoding moves on regardless (NeMo's `max_symbols`).
const MAX_SYMBOLS_PER_FRAME: usize = 10;

/// Tokens so far and the prediction network's state after the last of them.
#[derive(Debug, Clone)]
pub struct Hypothesis {
    pub tokens: Vec<usize>,
    pub prediction: PredictorState,
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

fn check_width(logits: &[f32], want: usize) -> Result<(), String> {
    if logits.len() < want {
        return Err(format!(
            "the joiner returned {} logits, expected {want}",
            logits.len()
        ));
    }
    Ok(())
}

/// Token-and-duration transducer: each step predicts a token and how many frames to skip.
/// A duration of 0 after a token stays on the frame (more tokens may follow); a blank always
/// moves on at least one frame.
pub fn decode_tdt(
    nets: &mut Networks,
    frames: &EncoderFrames,
    durations: &[usize],
    hyp: &mut Hypothesis,
) -> Result<(), String> {
    let vocab = nets.spec.vocab_size;
    let blank = nets.spec.blank();
    let mut t = 0;
    while t < frames.len() {
        let mut symbols = 0;
        loop {
            let logits = nets.joint(frames.frame(t), &hyp.prediction.output)?;
            check_width(&logits, vocab + durations.len())?;
            let token = argmax(&logits[..vocab]);
            let duration = durations[argmax(&logits[vocab..vocab + durations.len()])];
            if token == blank {
                t += duration.max(1);
                break;
            }
            hyp.tokens.push(token);
            hyp.prediction = nets.predict(token, &hyp.prediction.lstm)?;
            symbols += 1;
            if duration > 0 {
                t += duration;
                break;
            }
            if symbols >= MAX_SYMBOLS_PER_FRAME {
                t += 1;
                break;
            }
        }
    }
    Ok(())
}

/// Plain RNN-T: emit tokens on a frame until the blank wins, then take the next frame.
pub fn decode_rnnt(
    nets: &mut Networks,
    frames: &EncoderFrames,
    hyp: &mut Hypothesis,
) -> Result<(), String> {
    let vocab = nets.spec.vocab_size;
    let blank = nets.spec.blank();
    for t in 0..frames.len() {
        for _ in 0..MAX_SYMBOLS_PER_FRAME {
            let logits = nets.joint(frames.frame(t), &hyp.prediction.output)?;
            check_width(&logits, vocab)?;
            let token = argmax(&logits[..vocab]);
            if token == blank {
                break;
            }
            hyp.tokens.push(token);
            hyp.prediction = nets.predict(token, &hyp.prediction.lstm)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::argmax;

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.1, 3.0, 3.0, -1.0]), 1);
        assert_eq!(argmax(&[f32::NEG_INFINITY, -5.0]), 1);
    }
}
