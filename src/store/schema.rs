//! Migrations, applied in order and tracked with `PRAGMA user_version`.
//! Append new steps; never edit a step that has shipped.

pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE complaints (
    id                  INTEGER PRIMARY KEY,
    ticket              TEXT NOT NULL UNIQUE,
    year                INTEGER NOT NULL,
    seq                 INTEGER NOT NULL,
    status              TEXT NOT NULL,
    kind                TEXT NOT NULL,
    channel             TEXT NOT NULL,
    unit                TEXT,
    complainant_email   TEXT,
    complainant_name    TEXT,
    complainant_address TEXT,
    phones              TEXT NOT NULL DEFAULT '[]',
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    received_at         TEXT NOT NULL,
    ack_due             TEXT NOT NULL,
    review_due          TEXT NOT NULL,
    answer_due          TEXT NOT NULL,
    ack_sent_at         TEXT,
    -- Step 5: the review's follow-up plan (rencana tindak lanjut).
    plan                TEXT,
    reviewed_at         TEXT,
    -- Step 6: the answer sent to the complainant.
    answer              TEXT,
    answered_at         TEXT,
    closed_at           TEXT,
    -- Why a person must look (an unclear satisfaction reply, a bounce): NULL when nothing.
    attention           TEXT,
    created_at          TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX complaints_status ON complaints (status, answer_due);

-- Every message seen, raw, whatever it is (invariant 1).
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    mailbox         TEXT,
    uidvalidity     INTEGER,
    uid             INTEGER,
    received_at     TEXT NOT NULL,
    date_header     TEXT,
    from_email      TEXT,
    from_name       TEXT,
    subject         TEXT NOT NULL DEFAULT '',
    class           TEXT NOT NULL,
    reason          TEXT,
    problems        TEXT,
    complaint_id    INTEGER REFERENCES complaints (id),
    body_text       TEXT NOT NULL DEFAULT '',
    attachments     TEXT NOT NULL DEFAULT '[]',
    size            INTEGER NOT NULL,
    raw             BLOB NOT NULL,
    stored_at       TEXT NOT NULL,
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX messages_complaint ON messages (complaint_id);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER REFERENCES complaints (id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_complaint ON events (complaint_id, id);

-- Every outgoing mail, rendered whole when it is decided (invariant 4). `raw` never changes,
-- so a retry after a crash is byte-identical and carries the same Message-ID.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idem_key        TEXT NOT NULL UNIQUE,
    message_id      TEXT NOT NULL UNIQUE,
    complaint_id    INTEGER REFERENCES complaints (id),
    purpose         TEXT NOT NULL,
    automatic       INTEGER NOT NULL,
    mail_from       TEXT NOT NULL,
    rcpt_to         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    raw             BLOB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_rcpt ON outbox (rcpt_to, created_at);
CREATE INDEX outbox_complaint ON outbox (complaint_id);

CREATE TABLE mailbox_cursor (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE ticket_seq (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

-- Facts about the daemon itself (last successful mailbox read, last error), for `check`.
CREATE TABLE health (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    at    TEXT NOT NULL
);
"#,
    r#"
-- The digest reads open complaints, recent ones and ones waiting for a person; with these
-- two indexes (and complaints_status) each part is an index search, so a register of
-- 100,000 mostly closed complaints is not scanned (docs/PERFORMANCE.md).
CREATE INDEX complaints_received ON complaints (received_at);
CREATE INDEX complaints_attention ON complaints (attention) WHERE attention IS NOT NULL;
"#,
    r#"
-- `messages flagged` lists the few messages a person must look at; without this partial
-- index it read every stored message (0.16 s at 100,000, docs/PERFORMANCE.md).
CREATE INDEX messages_flagged ON messages (received_at)
    WHERE class = 'unreadable' OR problems IS NOT NULL;
-- The digest asks, for each open complaint, whether its acknowledgement failed; with purpose
-- and status in the index that is answered from the index alone, not by reading every mail
-- of the complaint (26 -> 8 ms for the digest's query at 100,000). Serves complaint_id = ?
-- as the old index did.
DROP INDEX outbox_complaint;
CREATE INDEX outbox_complaint ON outbox (complaint_id, purpose, status);
"#,
    r#"
-- Staff accounts of the web dashboard (issue 13). `password_hash` is an Argon2id PHC string;
-- a disabled account keeps its row so the audit log's actor names stay meaningful.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- A browser session. Only the SHA-256 of the cookie's token is stored, so a copy of the
-- database does not let anyone in; `last_seen` drives the inactivity expiry.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen);
-- Failed logins of the last rate-limit window, per typed name and per address.
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    account TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
"#,
    r#"
-- `pengaduan flagged` also lists suspect mail (class `curiga`, workflow/suspect.rs) and
-- complaints registered with a reason to check (a web form relay, a mail without From).
-- The condition is `FLAGGED` in store/mod.rs.
DROP INDEX messages_flagged;
CREATE INDEX messages_flagged ON messages (received_at)
    WHERE (class IN ('unreadable', 'curiga') OR problems IS NOT NULL
    OR (class = 'complaint' AND reason IS NOT NULL));
"#,
    r#"
-- Gmail's limits (issue 12): the outbox counts the mail it sent in the last 24 hours before
-- each send, and the watcher the bytes it downloaded, per hour, over the same window.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE status = 'sent';
-- The next mail by priority (`outbox::priority_sql()`, the same expression word for word, or
-- SQLite will not use it): one index step, not a sort of every pending mail per send.
CREATE INDEX outbox_priority ON outbox (status, (CASE purpose WHEN 'health' THEN 0 WHEN 'outbox_alert' THEN 0 WHEN 'ack' THEN 1 WHEN 'answer' THEN 1 WHEN 'referred_notice' THEN 1 WHEN 'referral' THEN 1 ELSE 2 END), next_attempt_at);
CREATE TABLE imap_download (
    hour  TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL
);
"#,
    r#"
-- The public announcement board (papan pengumuman, PROSEDUR.md step 7a; issue 14). A row is
-- what staff chose to publish about one closed case, copied at publishing: the month, the
-- unit, their own summary and follow-up. `/papan` reads only this table, so the public page
-- cannot reach a name, an address or a ticket. Unpublishing deletes the row (the event stays).
CREATE TABLE board_entries (
    complaint_id INTEGER PRIMARY KEY REFERENCES complaints (id),
    month        TEXT NOT NULL,
    unit         TEXT,
    summary      TEXT NOT NULL,
    followup     TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE INDEX board_entries_month ON board_entries (month, published_at);
-- Retention (`pengaduan purge`): when the raw mail of a closed complaint was deleted, and
-- an index so finding the complaints closed before the cutoff is a search, not a scan.
ALTER TABLE complaints ADD COLUMN purged_at TEXT;
CREATE INDEX complaints_closed ON complaints (closed_at) WHERE closed_at IS NOT NULL;
"#,
    r#"
-- SP4N-LAPOR! (channel `lapor`): the portal's report number (domain::LaporNumber, digits
-- only), kept so staff can post the answer back there. Set exactly when channel = 'lapor'
-- (app::actions::record); null for every other complaint.
ALTER TABLE complaints ADD COLUMN lapor_number TEXT;
"#,
    r#"
-- The complaint page lists the complainant's other complaints (same address or telephone,
-- `related_complaints` in store/attachments.rs): the address is an index search, and the
-- phone lists are read from this small partial index instead of the whole table (about
-- 250 -> 10 ms at 100,000 complaints). The expressions are the query's, word for word.
CREATE INDEX complaints_email ON complaints (lower(complainant_email))
    WHERE complainant_email IS NOT NULL;
CREATE INDEX complaints_phones ON complaints (phones) WHERE phones != '[]';
"#,
    r#"
-- The register page (`/`, issue 13): the complaints waiting on their review in deadline
-- order, and how many are past it, are index searches (store::register_lines and
-- register_counts); complaints_status (status, answer_due) does the same for the answer.
CREATE INDEX complaints_review_due ON complaints (status, review_due);
"#,
    r#"
-- Honest satisfaction and answer figures (issue 17, parts 4 and 5).
-- How the complainant's satisfaction or dissatisfaction was heard (domain::Heard): 'surel'
-- (the complainant's own mail), 'telepon' or 'langsung' (recorded by staff), 'petugas'
-- (recorded by staff before the outcome was asked for, how unknown); NULL when none.
ALTER TABLE complaints ADD COLUMN satisfaction_heard TEXT;
-- When the SMTP server accepted the answer (store::mark_sent), or when staff recorded an
-- answer given without mail; NULL while it waits in the outbox (or failed).
ALTER TABLE complaints ADD COLUMN answer_sent_at TEXT;

-- Praise, suggestions and questions closed without an answer were "closed_satisfied"
-- although nobody said so.
UPDATE complaints SET status = 'closed_without_answer'
 WHERE status = 'closed_satisfied' AND answered_at IS NULL AND kind != 'pengaduan';
-- Satisfied by the complainant's own mail (a clear PUAS, or an unclear reply read by staff);
-- every other satisfied case was closed by staff ("ditutup oleh petugas"): recorded by
-- staff, no claim that the complainant said it.
UPDATE complaints SET satisfaction_heard = CASE
    WHEN EXISTS (SELECT 1 FROM events e WHERE e.complaint_id = complaints.id
                    AND e.kind = 'status:closed_satisfied'
                    AND e.detail IN ('pengadu menyatakan puas',
                                     'petugas membaca balasan pengadu: puas'))
    THEN 'surel' ELSE 'petugas' END
 WHERE status = 'closed_satisfied';
-- Referred because the complainant's mail said TIDAK PUAS; a referral by staff states no
-- outcome and stays NULL.
UPDATE complaints SET satisfaction_heard = 'surel'
 WHERE status = 'referred'
   AND EXISTS (SELECT 1 FROM events e WHERE e.complaint_id = complaints.id
                  AND e.kind = 'status:referred'
                  AND e.detail IN ('pengadu menyatakan tidak puas',
                                   'petugas membaca balasan pengadu: tidak puas'));
-- The answer counts from its mail's acceptance: the sent time of the answer mail; none while
-- that mail is pending or failed; the recorded time when there was no answer mail.
UPDATE complaints SET answer_sent_at = CASE
    WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.complaint_id = complaints.id
                    AND o.purpose = 'answer')
    THEN (SELECT min(o.sent_at) FROM outbox o WHERE o.complaint_id = complaints.id
             AND o.purpose = 'answer' AND o.status = 'sent')
    ELSE answered_at END
 WHERE answered_at IS NOT NULL;
"#,
    r#"
-- Deadlines follow the calendar (issue 17, invariant 11). The calendar the deadlines were
-- last computed with, as JSON (`calendar::CalendarSnapshot`), so the next start can say
-- what changed ("daftar libur 2027 ditambahkan") when it recomputes them.
CREATE TABLE calendar_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- Answer reminders and escalations are now keyed by the deadline they were for
-- (`remind:T:answer:2027-01-05:H-1`), so a moved deadline gets its own and one for the same
-- deadline never goes out twice. Until now a deadline never changed after registration, so
-- the complaint's stored deadline is the one each older notice was for.
UPDATE outbox SET idem_key = (
    SELECT replace(outbox.idem_key, ':answer:', ':answer:' || date(c.answer_due, '+7 hours') || ':')
    FROM complaints c WHERE c.id = outbox.complaint_id)
WHERE complaint_id IS NOT NULL
  AND (idem_key GLOB 'remind:*:answer:H-*' OR idem_key GLOB 'escalate:*:answer:[0-9]*');
"#,
    r#"
-- Login hardening (issue 18). One server secret, an HMAC-SHA256 key made by the first web
-- start (store::accounts::server_key), signs the login form's token and the device cookies
-- (app::accounts::ServerSecret). It is read by the web server only and never logged.
CREATE TABLE server_secret (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key        BLOB NOT NULL,
    created_at TEXT NOT NULL
);
-- A failed login from a browser holding a valid device cookie counts against that cookie
-- (its nonce) only, never against the name or the address; NULL for every other failure.
ALTER TABLE login_failures ADD COLUMN device TEXT;
CREATE INDEX login_failures_device ON login_failures (device, at) WHERE device IS NOT NULL;
-- The addresses each name logged in from: the right password from one of them skips the
-- delay a name gets when it is attacked from many addresses.
CREATE TABLE known_logins (
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (account, address)
) WITHOUT ROWID;
"#,
    r#"
-- Nothing a person wrote is dropped (issue 18, invariant 3): the same Message-ID with other
-- bytes is another message, kept and flagged. A message is one record per (Message-ID,
-- content hash) and per mailbox position; the Message-ID alone is no longer unique. The
-- hash (SHA-256 of the raw bytes, hex) is written from now on; older rows have none and
-- are compared by their raw bytes (store::Tx::seen). SQLite cannot drop a UNIQUE
-- constraint, so the table is copied once.
CREATE TABLE messages_v2 (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL,
    content_hash    TEXT,
    mailbox         TEXT,
    uidvalidity     INTEGER,
    uid             INTEGER,
    received_at     TEXT NOT NULL,
    date_header     TEXT,
    from_email      TEXT,
    from_name       TEXT,
    subject         TEXT NOT NULL DEFAULT '',
    class           TEXT NOT NULL,
    reason          TEXT,
    problems        TEXT,
    complaint_id    INTEGER REFERENCES complaints (id),
    body_text       TEXT NOT NULL DEFAULT '',
    attachments     TEXT NOT NULL DEFAULT '[]',
    size            INTEGER NOT NULL,
    raw             BLOB NOT NULL,
    stored_at       TEXT NOT NULL,
    UNIQUE (mailbox, uidvalidity, uid)
);
INSERT INTO messages_v2 (id, message_id, mailbox, uidvalidity, uid, received_at, date_header,
    from_email, from_name, subject, class, reason, problems, complaint_id, body_text,
    attachments, size, raw, stored_at)
SELECT id, message_id, mailbox, uidvalidity, uid, received_at, date_header, from_email,
    from_name, subject, class, reason, problems, complaint_id, body_text, attachments, size,
    raw, stored_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE UNIQUE INDEX messages_identity ON messages (message_id, content_hash);
CREATE INDEX messages_complaint ON messages (complaint_id);
CREATE INDEX messages_flagged ON messages (received_at)
    WHERE (class IN ('unreadable', 'curiga') OR problems IS NOT NULL
    OR (class = 'complaint' AND reason IS NOT NULL));
-- Machine mail is listed for staff too (`flagged --machine`, *Surel otomatis*), newest
-- first, and counted for the digest.
CREATE INDEX messages_machine ON messages (received_at) WHERE class = 'machine';
"#,
];
