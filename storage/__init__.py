"""Storage, catalog and search of ketnoi.

Database (`storage.db`)
    db = Database(url)                 # "sqlite+aiosqlite:///var/ketnoi.db" or "postgresql+asyncpg://..."
    await db.upgrade()                 # Alembic to head (scripts in storage/migrations/); app start
    await db.downgrade("base")         # or a revision id
    async with db.session() as s:      # AsyncSession; commit explicitly (await s.commit())
    async with db.transaction() as s:  # committed on success, rolled back on exception
    await db.dispose()
  A transaction (or session) opened while the same task has one open joins it, so storage
  functions compose into one transaction. SQLite: parent directory created, WAL, foreign keys
  on, real SAVEPOINTs, and one writer at a time (`db.write_lock`, taken by every
  `transaction()` of the process); write transactions BEGIN IMMEDIATE and wait for other
  processes' writers (5 s busy timeout, then jittered retries for up to a minute: `storage.busy`).

Models (`storage.models`): User, Technology, Expert, Event, EventRegistration, Demand,
DemandStatusChange, ConnectionPoint, Subscription, ConversationState, ProcessedUpdate, MessageLog.
Sector/province columns hold taxonomy ids (`nlu.taxonomy`); lists are JSON; datetimes are aware UTC.
Allowed values: models.ROLES, STAGES, TRANSFER_MODES, TECH_STATUSES, EVENT_KINDS, DEMAND_STATUSES.

Repositories (`storage.repos.*`). Two layers in each module: functions taking the `Database`,
named in the domain's words, each owning its transaction (what handlers and the CLI call:
`users.ensure`, `users.remember_contact`, `demands.submit`, `demands.like_technology`,
`registrations.register(db, user, event_code)`, `subscriptions.start`, `privacy.forget`,
`handoffs.open_request`, `handoffs.take`, ...), built on functions taking an AsyncSession (they flush, the caller
commits, except `demands.create` which commits by default):
  users:         get, find, get_or_create(s, channel, external_id, display_name=None),
                 update_contact(s, user, phone=..., email=..., ...), give_consent, set_active,
                 set_role
  demands:       create(s, user, type, raw_text, details=, sector=, product=, province=, budget=)
                 -> committed Demand; get, list_for_user, list_all(status=...),
                 change_status(s, demand, status, note=, changed_by=) (history kept; raises
                 InvalidStatusChange), add_interest(s, demand, technology_id),
                 attach_matches(s, demand, technology_ids, expert_ids), anonymise_user(s, user),
                 find_connection_point(s, province_id), assign_connection_point(s, demand,
                 province=None) (province point, else the national "*" point); STATUS_NAMES
  catalog:       get_technology/get_expert/get_event(s, code_or_id), require_event,
                 technologies_by_ids, experts_by_ids, upcoming_events(s, kind=, province=, sector=,
                 now=, limit=), create_technology_pending(s, title=, ...), connection_points
  registrations: add(s, event, user) (raises AlreadyRegistered, EventPast,
                 RegistrationClosed, EventFull), cancel, count, seats_left, seats_left_many, list_for_user
  subscriptions: subscribe(s, user, sectors=, provinces=, event_kinds=), active_for_user,
                 deactivate_all(s, user) -> int, active_matching(s, sector=, province=, event_kind=)
  privacy:       user_data(s, user) -> UserData, forget_user(s, user) -> Forgotten
  handoffs:      record_handoff(s, demand, at=, note=, channel=), OPEN_STATUSES
  staff:         on_call(s, point) (on duty → fallback → the national point)
  introductions: open_for_demand(s, demand) (a find_expert demand's request, no expert yet)
  updates:       purge_older_than
Dialogue state (`storage.state`): DialogueState, LogLine, StateStore (like aiogram's
BaseStorage); MemoryStateStore, SqlStateStore (any database; cache + group commit),
SqliteStateStore (a SQLite file: the per-message writes, processed update id, state and message
log, through plain sqlite3 behind the reply); `for_database(db)` picks one.
Errors (`storage.errors`): StorageError and subclasses; str(exc) is a Vietnamese user message.

Search (`storage.search`): one `CatalogSearch()` per process (in-memory indexes, rebuilt when the
catalog changes: at once after ORM writes in this process, within 5 s after other processes').
  await search.technologies(s, query, province=None, sector=None, k=5, strict=False) -> [Hit]
  await search.experts(s, query, province=None, sector=None, k=5, strict=False) -> [Hit]
  await search.events(s, query="", kind=None, province=None, sector=None, k=5, now=None,
                      strict=False) -> [Hit]   # upcoming only; topic matches first, then date
  province/sector: id or Vietnamese name; a boost by default (unknown → ignored), a filter with
  strict=True (unknown → InvalidValue). A province named in the query is a boost too.
  Hit: kind, obj (ORM row), id, code, title, score, reason ("khớp: sấy, vải thiều · lĩnh vực
  ... · tỉnh Bắc Ninh"), matched, to_dict() (names next to ids, for --json).
  Only published technologies are searched; an empty query returns [] (or, with filters, the
  rows matching them).

Reports (`storage.reports`): `await reports.figures(db, Period(first, last), Scope(point=...))`
-> Figures (every figure of the network's report, aggregated in SQL; see its docstring).
Synthetic history (`storage.history`): `await history.add(db, demands=420)` / `remove(db)`.

Catalog files: `storage.seed.seed(s, directory=None, today=None)` loads storage/seed_data/*.yml
(upsert by code; event dates relative to `today`); `storage.importer.import_file(s, kind, path)`
and `export_file(s, kind, path)` read/write XLSX/CSV with the columns in `storage.records`.
CLI (bot/cli_storage.py): ketnoi db upgrade|downgrade [REV]|current, ketnoi seed,
ketnoi import|export technologies|experts|events FILE, ketnoi search KIND "query" [-p] [-s] [-k]
[--kind] [--boost] [--json].
"""
