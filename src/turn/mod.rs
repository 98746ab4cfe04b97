//! Semantic end of turn: has the speaker finished the thought, or only paused? Silence alone
//! cannot tell a pause to think from the end; Smart Turn hears the words and the prosody.

mod end;
pub mod features;
mod smart_turn;
mod text;
mod watcher;

pub use end::{EndParams, EndedBy, Step, TurnTracker};
pub use smart_turn::{SmartTurn, TurnError};
pub use text::{ends_with_closing_mark, reads_finished};
pub use watcher::{TurnEnd, TurnWatcher};
