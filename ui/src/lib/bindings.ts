// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.

export type AppStatus = { unlocked: boolean, 
/**
 * The vault folder last used, if any.
 */
vault_dir: string | null, 
/**
 * Whether that folder holds a vault (else: first run).
 */
vault_exists: boolean, idle_minutes: number, 
/**
 * The UI language the user chose; none means "follow the system".
 */
language: string | null, 
/**
 * The app language of the system's locale, offered until the user chooses.
 */
system_language: string, 
/**
 * This device's signing key (hex), to tell own revisions from others' in history.
 */
device_key: string | null, device_name: string | null, 
/**
 * Where a first vault goes unless the user chooses otherwise: `~/Amanat`.
 */
suggested_dir: string, vocabularies: Vocabularies, };

export type CardView = { card: string, name: string, fingerprint: string, };

export type CmdError = { code: string, message: string, };

export type PassphraseStrength = { 
/**
 * 0 (guessed at once) to 4 (very hard), zxcvbn's scale.
 */
score: number, 
/**
 * Whether the vault will accept it at all (see [`check_passphrase_strength`]).
 */
acceptable: boolean, };

export type DateReading = { 
/**
 * The value that will be stored.
 */
edtf: string, 
/**
 * First day covered (`YYYY-MM-DD`), or none for an open or unknown start.
 */
earliest: string | null, 
/**
 * Last day covered, or none for an open or unknown end.
 */
latest: string | null, };

export type DraftInfo = { id: string, 
/**
 * The testimony being edited; none for a new one.
 */
record: string | null, 
/**
 * The revision of `record` the editor started from: saving the draft after the
 * testimony moved on merges three ways or keeps both versions (`Vault::save_edit`).
 * Absent in drafts written before it was recorded.
 */
base?: string | null, 
/**
 * When it was last autosaved (RFC 3339).
 */
saved_at: string, 
/**
 * The code typed so far, for the user to recognise it.
 */
code: string, };

export type EditOutcome = { "outcome": "saved" } | { "outcome": "merged", fields: Array<string>, } | { "outcome": "conflict" };

export type CodeClash = { code: string, testimonies: Array<string>, };

export type DraftList = { drafts: Array<DraftInfo>, damaged: Array<string>, };

export type SavedDraft = { info: DraftInfo, state: unknown, };

export type TestimonySummary = { id: string, code: string, interview_date: string | null, status: Status, medium: string | null, interviewer: string | null, summary: string, persons: number, events: number, updated_at: string, };

export type StoredTestimony = { id: string, testimony: Testimony, 
/**
 * The revision(s) the state comes from; more than one means unresolved conflict.
 */
heads: Array<string>, created_at: string, updated_at: string, };

export type HistoryEntry = { hash: string, op: Op, at: string, 
/**
 * Hex Ed25519 key of the author.
 */
author: string, reason: string | null, parents: Array<string>, 
/**
 * Top-level fields whose value differs from the (first) parent's.
 */
changed: Array<string>, 
/**
 * Only the proof of this revision is here, not its content: it was not shared with this
 * vault (consent-limited history) or it was erased.
 */
content_withheld: boolean, 
/**
 * This vault held the revision for review and its user accepted it (docs/trust-model.md
 * §4): when, and the reason they gave.
 */
accepted: Accepted | null, };

export type Accepted = { at: string, reason: string | null, };

export type ErasurePreview = { id: string, 
/**
 * The code the user types to confirm (the last one it had, if it was deleted).
 */
code: string, 
/**
 * Whether it is deleted already (its history still holds its content).
 */
deleted: boolean, revisions: number, attachments: number, drafts: number, 
/**
 * The contacts this vault sent it to, or got it from (by the name it gives them; a key's
 * fingerprint where the contact is gone), each once, sorted.
 */
copies: Array<string>, };

export type ErasureReport = { 
/**
 * The erasure's revision: the signed trace `history` shows.
 */
erasure: string, 
/**
 * Revisions of the testimony and its attachments whose content was removed (their
 * proofs remain).
 */
revisions: number, 
/**
 * Attachments erased with it.
 */
attachments: number, 
/**
 * Drafts of it removed.
 */
drafts: number, 
/**
 * Attachment files removed from disk.
 */
files: number, };

export type Withdrawn = { 
/**
 * The testimony.
 */
id: string, code: string, reason: string, 
/**
 * The day (UTC, `YYYY-MM-DD`) from which it is erased.
 */
erase_on: string, 
/**
 * Whether that day has come (it is erased on the next opening).
 */
due: boolean, };

export type Acceptance = "current" | "conflict";

export type Op = "create" | "update" | "delete" | "erase";

export type Edtf = string;

export type Vocabularies = { medium: Array<Medium>, status: Array<Status>, script: Array<Script>, name_kind: Array<NameKind>, sex: Array<Sex>, role: Array<Role>, event_kind: Array<EventKind>, violation_status: Array<ViolationStatus>, place_level: Array<PlaceLevel>, facility_kind: Array<FacilityKind>, consent_scope: Array<ConsentScope>, decision: Array<Decision>, consent_method: Array<ConsentMethod>, reliability: Array<Reliability>, ethnicity: Array<Ethnicity>, };

export type Testimony = { 
/**
 * Human-readable code, e.g. `ALA-2025-0412`; unique among live testimonies.
 */
code: string, interviewer?: string, interpreter?: string, 
/**
 * The day (or a partial date) of the interview.
 */
interview_date?: Edtf, started_at?: string, ended_at?: string, 
/**
 * IANA zone of the interviewer, e.g. `Asia/Almaty`.
 */
time_zone?: string, medium?: Medium, 
/**
 * BCP 47 tags of the languages spoken, e.g. `kk`, `ug-Arab`.
 */
languages: Array<string>, 
/**
 * Where the interview took place: never the witness's location by default.
 */
interview_place?: string, status: Status, summary: string, narrative: string, tags: Array<string>, reliability?: Reliability, 
/**
 * The person giving the testimony.
 */
testifier?: Person, 
/**
 * Everyone else the testimony mentions, with their roles.
 */
persons: Array<Person>, events: Array<Event>, places: Array<Place>, consents: Array<Consent>, };

export type Person = { id: string, names: Array<PersonName>, roles: Array<Role>, 
/**
 * Relation to the testifier: son, brother, …
 */
relation?: string, sex?: Sex, birth?: Edtf, ethnicity?: Ethnicity, citizenship?: string, hometown?: string, occupation?: string, deceased: boolean, 
/**
 * Set when the "person" is a group (e.g. "about 40 villagers").
 */
group_size?: number, notes?: string, 
/**
 * The same person as recorded in other testimonies: a coordinator's merge, written on
 * both sides and undone by removing it from both.
 */
same_as: Array<PersonRef>, 
/**
 * Persons of other testimonies a coordinator judged to be someone else: they are not
 * suggested as duplicates again.
 */
not_same_as: Array<PersonRef>, };

export type PersonName = { name: string, script?: Script, lang?: string, kind?: NameKind, };

export type Event = { id: string, kind: EventKind, start?: Edtf, end?: Edtf, 
/**
 * The place as told ("Zharkent"); `place_id` links it to an entry of `places`.
 */
place?: string, place_id?: string, facility?: string, description?: string, violation_status?: ViolationStatus, 
/**
 * Ids of persons in this testimony.
 */
victims: Array<string>, perpetrators: Array<string>, acts: Array<Act>, };

export type Act = { victim: string, act_type?: string, detention_type?: string, stated_reason?: string, charge?: string, sentence?: string, status_at_end?: string, age_at_time?: number, 
/**
 * Ids of persons in this testimony.
 */
perpetrators: Array<string>, };

export type Place = { id: string, names: Array<LocalName>, level?: PlaceLevel, parent?: string, 
/**
 * GB/T 2260 code, e.g. `6540`.
 */
admin_code?: string, latitude?: number, longitude?: number, 
/**
 * Radius of uncertainty in metres.
 */
precision_m?: number, facility?: FacilityKind, };

export type LocalName = { name: string, script?: Script, lang?: string, };

export type Consent = { id: string, 
/**
 * The person consenting; absent means the testifier.
 */
person?: string, version: number, obtained_at?: Edtf, obtained_by?: string, method?: ConsentMethod, language?: string, interpreter?: string, scopes: { [key in ConsentScope]?: Decision }, 
/**
 * Conditions for scopes whose decision is `conditional`.
 */
conditions: { [key in ConsentScope]?: string }, withdrawn_at?: Edtf, notes?: string, };

export type Medium = "video_call" | "in_person" | "phone" | "written";

export type Status = "draft" | "reviewed" | "locked";

export type Script = "Latn" | "Cyrl" | "Arab" | "Hans" | "Hant";

export type NameKind = "primary" | "alias" | "chinese_name" | "patronymic" | "transliteration";

export type Sex = "female" | "male" | "other" | "unknown";

export type Role = "testifier" | "victim" | "witness" | "relative" | "perpetrator" | "official";

export type EventKind = "detention" | "disappearance" | "sentencing" | "forced_labour" | "surveillance" | "family_separation" | "document_confiscation" | "travel_ban" | "death_in_custody" | "release";

export type ViolationStatus = "confirmed" | "likely" | "possible" | "unlikely" | "unknown";

export type PlaceLevel = "region" | "prefecture" | "county" | "township" | "village" | "site";

export type FacilityKind = "camp" | "detention_centre" | "prison" | "factory" | "school" | "other";

export type ConsentScope = "store_internally" | "share_with_partner" | "share_with_un" | "share_with_court" | "publish_anonymised" | "publish_named" | "publish_image_voice" | "recontact";

export type Decision = "granted" | "refused" | "conditional";

export type ConsentMethod = "written" | "oral_recorded" | "oral_noted";

export type Reliability = "highly_reliable" | "reliable" | "fairly_reliable" | "unreliable" | "highly_unreliable" | "unknown";

export type Ethnicity = "kazakh" | "uyghur" | "kyrgyz" | "hui" | "uzbek" | "tajik" | "han" | "other";

export type JobProgress = { 
/**
 * 1-based number of the file being worked on, of `files`.
 */
file: number, files: number, name: string, done: number, total: number, };

export type StoredAttachment = { id: string, attachment: Attachment, heads: Array<string>, added_at: string, updated_at: string, };

export type Attachment = { 
/**
 * The testimony the file belongs to.
 */
testimony: string, 
/**
 * The random name of the encrypted file: `blobs/<blob>.age` (32 lower-case hex digits).
 */
blob: string, 
/**
 * SHA-256 of the plaintext, hex.
 */
sha256: string, 
/**
 * Plaintext size in bytes.
 */
size: number, 
/**
 * Sniffed from the content, never taken from the name.
 */
media_type: string, 
/**
 * The file's name when it was imported (no folder).
 */
name: string, kind: AttachmentKind, role: AttachmentRole, 
/**
 * The attachment this one was made from (a transcript of a recording, a redacted copy).
 */
derived_from?: string, captured_at?: string, captured_by?: string, collection_method?: string, 
/**
 * Whether the file may go into an anonymised (publication) export.
 */
safe_to_publish: boolean, custody: Array<CustodyEvent>, };

export type CustodyEvent = { at: string, 
/**
 * Hex Ed25519 key of the device that did it.
 */
actor: string, action: CustodyAction, tool: string, tool_version: string, 
/**
 * SHA-256 of the content as the actor saw it, hex.
 */
hash_seen?: string, note?: string, 
/**
 * The previous entry's hash; absent for the first.
 */
prev?: string, hash: string, };

export type AttachmentKind = "audio" | "video" | "photo" | "document" | "transcript" | "translation";

export type AttachmentRole = "evidentiary" | "working" | "derivative" | "redacted";

export type CustodyAction = "collected" | "imported" | "hashed" | "copied" | "transcribed" | "exported" | "transferred" | "redacted";

export type ContactInfo = { id: string, name: string, 
/**
 * The name on their card (what they call themselves).
 */
card_name: string, fingerprint: string, 
/**
 * Hex Ed25519 key: matches revision authors and bundle exporters.
 */
signing_key: string, trust: ContactTrust, added_at: string, verified_at: string | null, card: string, 
/**
 * Marked compromised from this time on.
 */
compromised_from: string | null, 
/**
 * Keys they replaced, newest first.
 */
previous_keys: Array<PreviousKeyInfo>, };

export type PreviousKeyInfo = { fingerprint: string, signing_key: string, until: string, compromised_from: string | null, };

export type KeyChangeReport = { 
/**
 * The new fingerprint: what contacts compare before they accept the new key.
 */
fingerprint: string, 
/**
 * Attachment files encrypted again under the new key.
 */
files_reencrypted: number, 
/**
 * Attachment files still under an old key (the re-encryption was cancelled): they are
 * read after a check of their whole content, and the next key change (or
 * `reencrypt_files`) takes them on.
 */
files_left: number, };

export type ContactTrust = "organisation" | "partner";

export type ExportProfile = "full" | "anonymised";

export type ExportArgs = { to: Array<string>, profile: ExportProfile, 
/**
 * Testimony ids; `null` for everything new or changed since the last export.
 */
ids: Array<string> | null, 
/**
 * Only the erasures made since the last export ("Send withdrawals"); `ids` is ignored.
 */
withdrawals: boolean, };

export type ExportPlan = { recipients: Array<ContactInfo>, profile: ExportProfile, included: Array<PlannedTestimony>, left_out: Array<LeftOut>, 
/**
 * Testimonies deleted since they were sent in full ("since the last export"): a bare
 * tombstone goes to the recipients, never their content.
 */
deleted: Array<DeletedTestimony>, 
/**
 * Deletions not sent because some recipients of this bundle never had the testimony:
 * export to the others on their own to send them.
 */
deletions_withheld: Array<DeletedTestimony>, 
/**
 * Anonymised copies of testimonies erased here that the recipients were sent ("since
 * the last export" and "only withdrawals", either profile): their erasures go.
 */
copies_erased: Array<ErasedCopy>, 
/**
 * Erasures of anonymised copies not sent because some recipients of this bundle never
 * had the copy: export to the others on their own to send them.
 */
copies_withheld: Array<ErasedCopy>, 
/**
 * Files erased alone here that the recipients had ("since the last export" and "only
 * withdrawals", full): their erasures go.
 */
files_erased: Array<ErasedFile>, 
/**
 * Those some recipients of this bundle never had: export to the others on their own.
 */
files_withheld: Array<ErasedFile>, total_bytes: number, };

export type PlannedTestimony = { id: string, code: string, 
/**
 * Attachments that go with it (for `anonymised`: only those safe to publish).
 */
attachments: number, attachment_bytes: number, 
/**
 * Attachments left behind because they are not marked safe to publish.
 */
attachments_withheld: number, };

export type LeftOut = { id: string, code: string, 
/**
 * The scope the export needs.
 */
scope: ConsentScope, problem: ConsentProblem, 
/**
 * The recipient it is refused for.
 */
recipient: string, };

export type DeletedTestimony = { id: string, code: string, };

export type ErasedCopy = { 
/**
 * The copy's record and code, as its recipients know it.
 */
id: string, code: string, };

export type ErasedFile = { id: string, 
/**
 * The code of the testimony it belonged to, as last saved here (its own name is gone).
 */
code: string, };

export type ConsentProblem = "no_consent" | "withdrawn" | "refused" | "conditional" | "not_asked" | "conflict" | "linked";

export type ExportResult = { plan: ExportPlan, path: string, size: number, 
/**
 * SHA-256 of the bundle file, hex: what the recipient can compare.
 */
sha256: string, manifest_sha256: string, revisions: number, seq: number, };

export type ImportReport = { sender: Sender, profile: ExportProfile, created_at: string, seq: number, manifest_sha256: string, 
/**
 * Testimonies this vault did not have.
 */
testimonies_new: number, 
/**
 * Testimonies this vault had that the bundle changes.
 */
testimonies_changed: number, attachments_new: number, revisions_new: number, 
/**
 * Revisions this vault already had.
 */
revisions_known: number, 
/**
 * Bytes of attachments in the bundle.
 */
attachment_bytes: number, 
/**
 * Testimonies that will have (or have) two versions to choose between.
 */
conflicts: Array<Conflict>, 
/**
 * Codes the import left on more than one testimony (each device had used the code for a
 * testimony of its own): one is renamed to end the clash. Known after the import only.
 */
code_clashes: Array<CodeClash>, 
/**
 * The testimonies those proposals are for, and why each was held.
 */
proposals: Array<ProposalSummary>, 
/**
 * Testimonies the bundle erases here (a witness's withdrawal, docs/erasure.md).
 */
erased: Array<ErasedSummary>, 
/**
 * Whether this bundle was already imported (nothing would change).
 */
already_imported: boolean, 
/**
 * Whether the revisions were committed (false for `verify_bundle`).
 */
imported: boolean, };

export type ErasedSummary = { id: string, 
/**
 * The code it had here (for a file, its testimony's).
 */
code: string, 
/**
 * The name of the file, when the erasure took one file of the testimony alone.
 */
file: string | null, 
/**
 * Why, as the erasing device said.
 */
reason: string | null, };

export type Sender = { 
/**
 * The name on their card.
 */
name: string, fingerprint: string, 
/**
 * The contact it matches, if any (the name this vault shows).
 */
contact: string | null, 
/**
 * Whether that contact's fingerprint was compared with them.
 */
verified: boolean, 
/**
 * The bundle was made by this vault itself.
 */
is_self: boolean, 
/**
 * For a sender who is not a contact: the contact whose key this one says it replaces
 * (a key change statement signed by both keys). Still to be confirmed by comparing the
 * new fingerprint with them: whoever stole the old key can sign such a statement too.
 */
replaces: string | null, 
/**
 * That contact's key was marked compromised: the statement may be the thief's.
 */
replaces_compromised: boolean, };

export type Conflict = { id: string, code: string, heads: Array<string>, };

export type ConflictSide = { 
/**
 * The revision (head) this version is.
 */
revision: string, 
/**
 * Hex key of the device that made it.
 */
author: string, 
/**
 * The contact it belongs to, or "" for this device or a device not in the contacts.
 */
author_name: string, is_self: boolean, at: string, 
/**
 * This version, or `None` when this side deleted the testimony.
 */
testimony: Testimony | null, 
/**
 * Why the side changed it (a deletion's reason).
 */
reason: string | null, };

export type ProposalSummary = { id: string, code: string, why: HeldReason, };

export type HeldReason = "no_authority" | "locked" | "consent_widened" | "publish_flag" | "deletion" | "builds_on_proposal" | "revoked_key";

export type Proposal = { 
/**
 * The proposed revision's hash: what accepting or rejecting names.
 */
revision: string, 
/**
 * The testimony it concerns (for an attachment: the testimony it belongs to).
 */
testimony: string, code: string, 
/**
 * `testimony` or `attachment`.
 */
kind: string, why: HeldReason, 
/**
 * Hex key of the device that made it, and its name among the contacts ("" if none).
 */
author: string, author_name: string, at: string, reason: string | null, 
/**
 * The testimony as proposed (`None`: it proposes to delete it, or concerns an attachment).
 */
proposed: Testimony | null, 
/**
 * The testimony as this vault has it now.
 */
current: Testimony | null, 
/**
 * For an attachment: its name and whether the proposal marks it safe to publish.
 */
attachment_name: string | null, safe_to_publish: boolean | null, };

export type AnonymisedPreview = { id: string, code: string, 
/**
 * The code of the anonymised copy.
 */
copy_code: string, 
/**
 * Every field in which a name was replaced.
 */
fields: Array<PreviewField>, 
/**
 * Fields dropped, coarsened or replaced, as paths (`interviewer`, `persons[].birth`, …).
 */
changed: Array<string>, };

export type PreviewField = { 
/**
 * The field's path, e.g. `narrative` or `events[0].description`.
 */
field: string, parts: Array<PreviewPart>, };

export type PreviewPart = { text: string, original: string | null, };

export type PersonRef = { testimony: string, person: string, };

export type SearchQuery = { 
/**
 * Words as typed, in any script; every word must match (as a prefix of a word of the
 * text, or as the same name in another script). Empty: every testimony the filters
 * let through, newest interview first.
 */
text: string, filters: Filters, 
/**
 * How many results to return, best first.
 */
limit: number, };

export type Filters = { 
/**
 * EDTF (`2018`, `2019-03/2019-06`, `2019/..`): interviews that may fall in it.
 */
interview?: string, 
/**
 * EDTF: testimonies with an event that may fall in it (of `event_kinds`, at `place`,
 * when those are given too: the same event must match all three).
 */
event?: string, event_kinds: Array<EventKind>, 
/**
 * A place's name in any script: events there or anywhere below it.
 */
place?: string, statuses: Array<Status>, tags: Array<string>, 
/**
 * Consent scopes every current consent of the testimony grants.
 */
consents: Array<ConsentScope>, interviewer?: string, };

export type SearchResults = { 
/**
 * How many testimonies match, counted up to 1,000.
 */
total: number, 
/**
 * More than `total` match: the results are then the newest matches, not the most
 * relevant (ranking a word found in most of the archive costs more than a search may).
 */
more: boolean, hits: Array<SearchHit>, };

export type SearchHit = { testimony: TestimonySummary, 
/**
 * Which field the snippet comes from (`name`, `narrative`, `place`, …).
 */
field: string, snippet: Array<SnippetPart>, };

export type SnippetPart = { text: string, hit: boolean, };

export type Facets = { 
/**
 * Matching testimonies in all (not capped).
 */
total: number, statuses: Array<FacetCount>, event_kinds: Array<FacetCount>, places: Array<FacetCount>, tags: Array<FacetCount>, consents: Array<FacetCount>, interviewers: Array<FacetCount>, 
/**
 * Interview years.
 */
years: Array<FacetCount>, };

export type FacetCount = { 
/**
 * The value as the filter takes it (a vocabulary value, a tag, a name).
 */
value: string, count: number, };

export type PersonGroup = { 
/**
 * Every spelling, once each.
 */
names: Array<string>, records: Array<PersonRecord>, events: Array<PersonEvent>, };

export type PersonRecord = { at: PersonRef, 
/**
 * The testimony's code.
 */
code: string, names: Array<string>, roles: Array<string>, birth: string | null, hometown: string | null, 
/**
 * Records this one was merged with (what "separate" undoes).
 */
same_as: Array<PersonRef>, };

export type PersonEvent = { code: string, kind: string, start: string | null, place: string | null, };

export type DuplicatePair = { a: PersonRecord, b: PersonRecord, 
/**
 * Words of their names that match across scripts (two at least).
 */
matching_words: number, 
/**
 * Both birth dates are known and may be the same.
 */
birth_agrees: boolean, 
/**
 * Both hometowns are known and are the same place.
 */
hometown_agrees: boolean, };
