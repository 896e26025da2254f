//! Search, facets, people and duplicate review: thin commands over the core.

use amanat::model::PersonRef;
use amanat::{DuplicatePair, Facets, PersonGroup, SearchQuery, SearchResults};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub async fn search(state: State<'_, AppState>, query: SearchQuery) -> CmdResult<SearchResults> {
    state.with_vault(|v| v.search(&query))
}

#[tauri::command]
pub async fn search_facets(state: State<'_, AppState>, query: SearchQuery) -> CmdResult<Facets> {
    state.with_vault(|v| v.facets(&query))
}

#[tauri::command]
pub async fn people(
    state: State<'_, AppState>,
    name: String,
    limit: usize,
) -> CmdResult<Vec<PersonGroup>> {
    state.with_vault(|v| v.people(&name, limit))
}

#[tauri::command]
pub async fn duplicate_suggestions(
    state: State<'_, AppState>,
    limit: usize,
) -> CmdResult<Vec<DuplicatePair>> {
    state.with_vault(|v| v.duplicate_suggestions(limit))
}

#[tauri::command]
pub async fn merge_persons(
    state: State<'_, AppState>,
    a: PersonRef,
    b: PersonRef,
    reason: Option<String>,
) -> CmdResult<()> {
    state.with_vault(|v| v.merge_persons(a, b, reason.as_deref()))
}

#[tauri::command]
pub async fn unmerge_persons(
    state: State<'_, AppState>,
    a: PersonRef,
    b: PersonRef,
    reason: Option<String>,
) -> CmdResult<()> {
    state.with_vault(|v| v.unmerge_persons(a, b, reason.as_deref()))
}

#[tauri::command]
pub async fn dismiss_duplicate(
    state: State<'_, AppState>,
    a: PersonRef,
    b: PersonRef,
    reason: Option<String>,
) -> CmdResult<()> {
    state.with_vault(|v| v.dismiss_duplicate(a, b, reason.as_deref()))
}
