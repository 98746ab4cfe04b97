//! The golden set from the settings window: correct a dictation ("what I really said"), confirm
//! one ("this one was right"), take one out, and the words worth adding to the vocabulary.

use std::sync::Arc;

use utter::history::History;
use utter::history::golden::VocabularyProposal;

use crate::state::AppState;

type Shared<'a> = tauri::State<'a, Arc<AppState>>;

fn history() -> Result<History, String> {
    History::open_default().map_err(|e| e.to_string())
}

#[tauri::command]
pub fn history_correct(id: i64, text: String) -> Result<(), String> {
    history()?.correct(id, &text).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn history_confirm(id: i64) -> Result<String, String> {
    history()?.confirm(id).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn history_unmark(id: i64) -> Result<(), String> {
    history()?.unmark(id).map_err(|e| e.to_string())
}

/// Words corrected in several dictations that the vocabulary does not have yet.
#[tauri::command]
pub fn vocabulary_proposals(state: Shared<'_>) -> Result<Vec<VocabularyProposal>, String> {
    history()?
        .vocabulary_proposals(&state.saved().vocabulary)
        .map_err(|e| e.to_string())
}
