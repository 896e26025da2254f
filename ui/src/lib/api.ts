// Typed calls into the shell. Argument names are the Rust commands' parameter names in
// camelCase (Tauri's convention); the result types are generated from the Rust types.
import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  Acceptance,
  AnonymisedPreview,
  AppStatus,
  AttachmentKind,
  CardView,
  CodeClash,
  Conflict,
  ConflictSide,
  ContactInfo,
  ContactTrust,
  ExportArgs,
  ExportPlan,
  ExportResult,
  ImportReport,
  DateReading,
  DuplicatePair,
  Facets,
  PersonGroup,
  PersonRef,
  SearchQuery,
  SearchResults,
  DraftInfo,
  EditOutcome,
  ErasurePreview,
  ErasureReport,
  Withdrawn,
  DraftList,
  HistoryEntry,
  JobProgress,
  KeyChangeReport,
  PassphraseStrength,
  Proposal,
  SavedDraft,
  StoredAttachment,
  StoredTestimony,
  TestimonySummary,
} from './bindings';

export const api = {
  appStatus: () => invoke<AppStatus>('app_status'),
  passphraseStrength: (passphrase: string, name: string) =>
    invoke<PassphraseStrength>('passphrase_strength', { passphrase, name }),
  createVault: (dir: string, name: string, passphrase: string) =>
    invoke<string>('create_vault', { dir, name, passphrase }),
  saveRecoveryKey: (path: string) => invoke<void>('save_recovery_key', { path }),
  forgetRecoveryKey: () => invoke<void>('forget_recovery_key'),
  openVault: (dir: string, passphrase: string) => invoke<void>('open_vault', { dir, passphrase }),
  recoverVault: (dir: string, recoveryKey: string, newPassphrase: string) =>
    invoke<void>('recover_vault', { dir, recoveryKey, newPassphrase }),
  lock: () => invoke<void>('lock'),
  panicLock: () => invoke<void>('panic_lock'),
  activity: () => invoke<void>('activity'),
  listTestimonies: () => invoke<TestimonySummary[]>('list_testimonies'),
  getTestimony: (id: string) => invoke<StoredTestimony>('get_testimony', { id }),
  createTestimony: (testimony: unknown) => invoke<string>('create_testimony', { testimony }),
  /** Saves an edit begun on revision `base`: merged with what changed since, or kept beside it as a conflict. */
  saveEdit: (id: string, testimony: unknown, base: string, reason: string | null) =>
    invoke<EditOutcome>('save_edit', { id, testimony, base, reason }),
  history: (id: string) => invoke<HistoryEntry[]>('history', { id }),
  erasurePreview: (id: string) => invoke<ErasurePreview>('erasure_preview', { id }),
  /** A witness's withdrawal: `code` is what the user typed to confirm. */
  eraseTestimony: (id: string, code: string, reason: string) =>
    invoke<ErasureReport>('erase_testimony', { id, code, reason }),
  /** Hide now, erase after `days` days unless kept first. */
  withdrawTestimony: (id: string, code: string, reason: string, days: number) =>
    invoke<Withdrawn>('withdraw_testimony', { id, code, reason, days }),
  pendingWithdrawals: () => invoke<Withdrawn[]>('pending_withdrawals'),
  keepWithdrawn: (id: string, reason: string) => invoke<void>('keep_withdrawn', { id, reason }),
  eraseWithdrawn: (id: string) => invoke<ErasureReport>('erase_withdrawn', { id }),
  /** A witness withdraws one file: erased for good, the testimony stays. */
  eraseAttachment: (id: string, reason: string) => invoke<ErasureReport>('erase_attachment', { id, reason }),
  understandDate: (text: string) => invoke<DateReading>('understand_date', { text }),
  saveDraft: (id: string, record: string | null, base: string | null, testimony: unknown) =>
    invoke<DraftInfo>('save_draft', { id, record, base, testimony }),
  listDrafts: () => invoke<DraftList>('list_drafts'),
  loadDraft: (id: string) => invoke<SavedDraft>('load_draft', { id }),
  discardDraft: (id: string) => invoke<void>('discard_draft', { id }),
  setIdleMinutes: (minutes: number) => invoke<void>('set_idle_minutes', { minutes }),
  setLanguage: (language: string) => invoke<void>('set_language', { language }),
  changePassphrase: (current: string, newPassphrase: string) =>
    invoke<void>('change_passphrase', { current, newPassphrase }),
  newRecoveryKey: () => invoke<string>('new_recovery_key'),
  changeKeys: (current: string, newPassphrase: string, progress: (p: JobProgress) => void) =>
    invoke<KeyChangeReport>('change_keys', { current, newPassphrase, onProgress: channel(progress) }),
  contactCard: () => invoke<CardView>('contact_card'),
  pickFiles: (title: string) => invoke<string[]>('pick_files', { title }),
  pickSavePath: (title: string, name: string) =>
    invoke<string | null>('pick_save_path', { title, name }),
  watchDrops: (onPaths: (paths: string[]) => void) => {
    const onDrop = new Channel<string[]>();
    onDrop.onmessage = onPaths;
    return invoke<void>('watch_drops', { onDrop });
  },
  cancelJob: () => invoke<void>('cancel_job'),
  listAttachments: (testimony: string) =>
    invoke<StoredAttachment[]>('list_attachments', { testimony }),
  attachFiles: (
    testimony: string,
    paths: string[],
    kind: AttachmentKind | null,
    progress: (p: JobProgress) => void,
  ) => {
    const onProgress = new Channel<JobProgress>();
    onProgress.onmessage = progress;
    return invoke<string[]>('attach_files', { testimony, paths, kind, onProgress });
  },
  extractAttachment: (id: string, path: string, progress: (p: JobProgress) => void) => {
    const onProgress = new Channel<JobProgress>();
    onProgress.onmessage = progress;
    return invoke<void>('extract_attachment', { id, path, onProgress });
  },
  deleteAttachment: (id: string, reason: string) =>
    invoke<void>('delete_attachment', { id, reason }),
  verifyAttachment: (id: string) => invoke<void>('verify_attachment', { id }),
  listContacts: () => invoke<ContactInfo[]>('list_contacts'),
  addContact: (card: string, name: string | null, trust: ContactTrust) =>
    invoke<ContactInfo>('add_contact', { card, name, trust }),
  readCardFile: (path: string) => invoke<string>('read_card_file', { path }),
  verifyContact: (id: string) => invoke<ContactInfo>('verify_contact', { id }),
  renameContact: (id: string, name: string) => invoke<ContactInfo>('rename_contact', { id, name }),
  setContactTrust: (id: string, trust: ContactTrust) =>
    invoke<ContactInfo>('set_contact_trust', { id, trust }),
  removeContact: (id: string) => invoke<void>('remove_contact', { id }),
  markCompromised: (id: string, from: string, key: string | null) =>
    invoke<ContactInfo>('mark_compromised', { id, from, key }),
  planExport: (args: ExportArgs) => invoke<ExportPlan>('plan_export', { args }),
  exportBundle: (args: ExportArgs, path: string, progress: (p: JobProgress) => void) =>
    invoke<ExportResult>('export_bundle', { args, path, onProgress: channel(progress) }),
  verifyBundle: (path: string, progress: (p: JobProgress) => void) =>
    invoke<ImportReport>('verify_bundle', { path, onProgress: channel(progress) }),
  importBundle: (path: string, acceptSender: string | null, progress: (p: JobProgress) => void) =>
    invoke<ImportReport>('import_bundle', { path, acceptSender, onProgress: channel(progress) }),
  listConflicts: () => invoke<Conflict[]>('list_conflicts'),
  conflictSides: (id: string) => invoke<ConflictSide[]>('conflict_sides', { id }),
  /** `seen`: the revisions of the sides shown; the core refuses (`stale`) if there are others now. */
  resolveConflict: (id: string, testimonyState: unknown, seen: string[], reason: string | null) =>
    invoke<void>('resolve_conflict', { id, testimonyState, seen, reason }),
  takeConflictSide: (id: string, revision: string, seen: string[], reason: string | null) =>
    invoke<void>('take_conflict_side', { id, revision, seen, reason }),
  codeClashes: () => invoke<CodeClash[]>('code_clashes'),
  renameTestimony: (id: string, code: string) => invoke<void>('rename_testimony', { id, code }),
  previewAnonymised: (args: ExportArgs) => invoke<AnonymisedPreview[]>('preview_anonymised', { args }),
  listProposals: () => invoke<Proposal[]>('list_proposals'),
  acceptProposal: (revision: string, reason: string | null) =>
    invoke<Acceptance>('accept_proposal', { revision, reason }),
  rejectProposal: (revision: string) => invoke<void>('reject_proposal', { revision }),
  search: (query: SearchQuery) => invoke<SearchResults>('search', { query }),
  searchFacets: (query: SearchQuery) => invoke<Facets>('search_facets', { query }),
  people: (name: string, limit: number) => invoke<PersonGroup[]>('people', { name, limit }),
  duplicateSuggestions: (limit: number) => invoke<DuplicatePair[]>('duplicate_suggestions', { limit }),
  mergePersons: (a: PersonRef, b: PersonRef, reason: string | null) =>
    invoke<void>('merge_persons', { a, b, reason }),
  unmergePersons: (a: PersonRef, b: PersonRef, reason: string | null) =>
    invoke<void>('unmerge_persons', { a, b, reason }),
  dismissDuplicate: (a: PersonRef, b: PersonRef, reason: string | null) =>
    invoke<void>('dismiss_duplicate', { a, b, reason }),
};

function channel<T>(onMessage: (m: T) => void): Channel<T> {
  const c = new Channel<T>();
  c.onmessage = onMessage;
  return c;
}

/** The URL the page loads an attachment's content from (decrypted range by range). */
export function mediaUrl(id: string): string {
  return `media://localhost/${id}`;
}
