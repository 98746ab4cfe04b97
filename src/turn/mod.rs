//! Semantic end of turn: has the speaker finished the thought, or only paused? Silence alone
//! cannot tell a pause to think from the end; Smart Turn hears the words and the prosody.

pub mod features;
mod smart_turn;

pub use smart_turn::{SmartTurn, TurnError};
