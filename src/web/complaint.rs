//! Satu pengaduan (`/pengaduan/{ticket}`) and its forms: the review plan, the answer with a
//! preview of the exact email, closing. Each form calls one `app` action; an
//! [`ActionError`] comes back as 404, 409 or 422 with its message on the page.

use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::auth::{Acting, Allowed, RequireRole, Reviewing, Staff};
use super::pages::{action_status, render, server_error};
use super::{State as AppState, WebApp};
use crate::app::accounts::Session;
use crate::app::{casefile, views, ActionError};
use crate::domain::{CloseOutcome, Heard, Ticket};

/// The answer as it would be emailed, for the preview.
#[derive(Serialize, Default)]
struct Preview {
    to: Vec<String>,
    subject: String,
    text: String,
    /// The complainant has no email address: the answer is recorded, not emailed.
    offline: bool,
}

#[derive(Serialize)]
struct Screen {
    #[serde(flatten)]
    page: views::ComplaintPage,
    #[serde(flatten)]
    file: casefile::CaseFile,
    /// The account may use the action forms (`Acting`); every role reads.
    may_act: bool,
    /// The account may record the review (`Reviewing`).
    may_review: bool,
    error: Option<String>,
    /// The answer text being written (kept across the preview).
    draft: String,
    preview: Option<Preview>,
}

fn parse_ticket(s: &str) -> Result<Ticket, ActionError> {
    s.parse()
        .map_err(|_| ActionError::NotFound(format!("Tiket {s:?} tidak ditemukan.")))
}

/// The page, with what an action said (`outcome`) and the draft answer.
async fn page(
    app: &WebApp,
    session: &Session,
    ticket: &str,
    outcome: Result<Option<Preview>, ActionError>,
    draft: String,
) -> Response {
    let now = app.clock.now();
    let units = app.units.clone();
    let limit = app.pipeline.config.limits.max_parse_bytes;
    let loaded = match parse_ticket(ticket) {
        Ok(t) => app
            .store
            .run(move |s| {
                Ok(views::complaint_page(s, &t, now)
                    .and_then(|page| Ok((page, casefile::case_file(s, &t, &units, limit)?))))
            })
            .await
            .unwrap_or_else(|e| Err(ActionError::Store(e))),
        Err(e) => Err(e),
    };
    let (page, file) = match loaded {
        Ok(page) => page,
        Err(ActionError::Store(e)) => return server_error(&e),
        Err(e) => {
            return render(
                app,
                action_status(&e),
                "web/message.html",
                Some(session),
                &session.csrf,
                serde_json::json!({ "title": "Tidak ditemukan", "message": e.to_string() }),
            )
        }
    };
    let (status, error, preview) = match outcome {
        Ok(preview) => (StatusCode::OK, None, preview),
        Err(ActionError::Store(e)) => return server_error(&e),
        Err(e) => (action_status(&e), Some(e.to_string()), None),
    };
    render(
        app,
        status,
        "web/pengaduan.html",
        Some(session),
        &session.csrf,
        Screen {
            page,
            file,
            may_act: Acting::ROLES.contains(&session.role),
            may_review: Reviewing::ROLES.contains(&session.role),
            error,
            draft,
            preview,
        },
    )
}

pub async fn show(
    State(app): State<AppState>,
    Staff(session): Staff,
    Path(ticket): Path<String>,
) -> Response {
    page(&app, &session, &ticket, Ok(None), String::new()).await
}

/// After a successful action: back to the page (POST/redirect/GET); else the page with
/// the reason.
async fn after(
    app: &WebApp,
    session: &Session,
    ticket: &str,
    done: Result<(), ActionError>,
    draft: String,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/pengaduan/{ticket}")).into_response(),
        Err(e) => page(app, session, ticket, Err(e), draft).await,
    }
}

/// Runs one action on the store thread with the ticket parsed and the session's name.
async fn act<T: Send + 'static>(
    app: &WebApp,
    ticket: &str,
    f: impl FnOnce(
            &crate::app::Pipeline,
            &mut crate::store::Store,
            &Ticket,
            chrono::DateTime<chrono::Utc>,
        ) -> Result<T, ActionError>
        + Send
        + 'static,
) -> Result<T, ActionError> {
    let t = parse_ticket(ticket)?;
    let pipeline = app.pipeline.clone();
    let now = app.clock.now();
    app.store
        .run(move |s| Ok(f(&pipeline, s, &t, now)))
        .await
        .unwrap_or_else(|e| Err(ActionError::Store(e)))
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    plan: String,
}

pub async fn review(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Reviewing>,
    Path(ticket): Path<String>,
    Form(form): Form<PlanForm>,
) -> Response {
    let by = session.name.as_str().to_string();
    let done = act(&app, &ticket, move |p, s, t, now| {
        p.review(s, t, &form.plan, &by, now)
    })
    .await;
    after(&app, &session, &ticket, done, String::new()).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    text: String,
    /// Present on the preview's "Kirim" button: send; absent: show the preview.
    #[serde(default)]
    send: Option<String>,
}

pub async fn answer(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Path(ticket): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let text = form.text.clone();
    if form.send.is_some() {
        let by = session.name.as_str().to_string();
        let done = act(&app, &ticket, move |p, s, t, now| {
            p.answer(s, t, &text, &by, now).map(|_| ())
        })
        .await;
        return after(&app, &session, &ticket, done, form.text).await;
    }
    let limit = app.pipeline.config.limits.max_parse_bytes;
    let preview = act(&app, &ticket, move |p, s, t, now| {
        p.preview_answer(s, t, &text, now)
    })
    .await
    .map(|mail| {
        Some(match mail {
            Some(mail) => {
                let shown = crate::mail::parse::parse(&mail.raw, limit);
                Preview {
                    to: mail.rcpt_to,
                    subject: shown.subject,
                    text: shown.text,
                    offline: false,
                }
            }
            None => Preview {
                offline: true,
                ..Preview::default()
            },
        })
    });
    page(&app, &session, &ticket, preview, form.text).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    /// The button pressed: `puas`, `tidak-puas` or `tanpa-tanggapan`; empty for praise, a
    /// suggestion or a question closed without an answer.
    #[serde(default)]
    tanggapan: String,
    /// How the complainant's answer was heard: `telepon` or `langsung`.
    #[serde(default)]
    cara: String,
}

/// Step 7 by hand: the three outcome buttons of an answered case (with how it was heard),
/// or closing praise, a suggestion or a question without an answer. The same
/// `Pipeline::close` as `pengaduan complaints close`.
pub async fn close(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Path(ticket): Path<String>,
    Form(form): Form<CloseForm>,
) -> Response {
    let by = session.name.as_str().to_string();
    let done = act(&app, &ticket, move |p, s, t, now| {
        let outcome = match form.tanggapan.trim() {
            "" => None,
            o => Some(o.parse::<CloseOutcome>().map_err(|_| {
                ActionError::Invalid(format!(
                    "tanggapan {o:?} tidak dikenal; pilih puas, tidak puas, atau tidak ada tanggapan"
                ))
            })?),
        };
        // The select is on the form whichever button is pressed; no reply was heard.
        let via = match (outcome, form.cara.trim()) {
            (Some(CloseOutcome::TanpaTanggapan) | None, _) | (_, "") => None,
            (_, v) => Some(v.parse::<Heard>().map_err(|_| {
                ActionError::Invalid(format!(
                    "cara {v:?} tidak dikenal; pilih telepon atau langsung"
                ))
            })?),
        };
        p.close(s, t, outcome, via, &by, now)
    })
    .await;
    after(&app, &session, &ticket, done, String::new()).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kind: String,
}

/// Step 3: the unit concerned and the corrected kind (an empty select changes nothing).
pub async fn assign(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Path(ticket): Path<String>,
    Form(form): Form<AssignForm>,
) -> Response {
    let by = session.name.as_str().to_string();
    let done = act(&app, &ticket, move |p, s, t, now| {
        let unit = Some(form.unit.trim()).filter(|u| !u.is_empty());
        let kind = match form.kind.trim() {
            "" => None,
            k => Some(k.parse::<crate::domain::Kind>().map_err(|_| {
                ActionError::Invalid(format!("jenis {k:?} tidak dikenal; pilih dari daftar"))
            })?),
        };
        p.assign(s, t, unit, kind, &by, now)
    })
    .await;
    after(&app, &session, &ticket, done, String::new()).await
}

#[derive(Deserialize)]
pub struct ReferForm {
    #[serde(default)]
    reason: String,
}

/// Step 7b by hand: the case file goes to the Dinas Kesehatan, with the reason.
pub async fn refer(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Path(ticket): Path<String>,
    Form(form): Form<ReferForm>,
) -> Response {
    let by = session.name.as_str().to_string();
    let done = act(&app, &ticket, move |p, s, t, now| {
        p.refer(s, t, &form.reason, &by, now)
    })
    .await;
    after(&app, &session, &ticket, done, String::new()).await
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    keputusan: String,
}

/// Step 7 decided by a person: an unclear reply read as PUAS or TIDAK PUAS.
pub async fn decide_reply(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Path(ticket): Path<String>,
    Form(form): Form<DecideForm>,
) -> Response {
    let by = session.name.as_str().to_string();
    let done = act(&app, &ticket, move |p, s, t, now| {
        let satisfied = match form.keputusan.as_str() {
            "puas" => true,
            "tidak_puas" => false,
            other => {
                return Err(ActionError::Invalid(format!(
                    "keputusan {other:?} tidak dikenal; pilih puas atau tidak puas"
                )))
            }
        };
        p.decide_reply(s, t, satisfied, &by, now)
    })
    .await;
    after(&app, &session, &ticket, done, String::new()).await
}

/// An attachment as a download, never shown inline: `application/octet-stream`, a
/// `Content-Disposition: attachment` with a sanitised name (and `nosniff`, set for every
/// response), so an HTML or SVG attachment cannot run in the dashboard's origin.
pub async fn attachment(
    State(app): State<AppState>,
    Staff(session): Staff,
    Path((message, index)): Path<(String, String)>,
) -> Response {
    let limit = app.pipeline.config.limits.max_parse_bytes;
    let found = match (message.parse::<i64>(), index.parse::<usize>()) {
        (Ok(message), Ok(index)) => app
            .store
            .run(move |s| Ok(casefile::attachment(s, message, index, limit)))
            .await
            .unwrap_or_else(|e| Err(ActionError::Store(e))),
        _ => Err(ActionError::NotFound(
            "Lampiran ini tidak ditemukan.".into(),
        )),
    };
    match found {
        Ok(download) => {
            let disposition = content_disposition(&download.name);
            let mut res = (StatusCode::OK, download.bytes).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static(
                    "attachment; filename=\"lampiran\"",
                )),
            );
            res
        }
        Err(ActionError::Store(e)) => server_error(&e),
        Err(e) => render(
            &app,
            action_status(&e),
            "web/message.html",
            Some(&session),
            &session.csrf,
            serde_json::json!({ "title": "Lampiran tidak tersedia", "message": e.to_string() }),
        ),
    }
}

/// PURE: `Content-Disposition: attachment` for `name` (RFC 6266): a quoted ASCII
/// `filename` for old clients and `filename*` (RFC 5987, UTF-8, percent-encoded) with the
/// real name. Path separators, control characters, quotes and backslashes are removed; a
/// name left empty (or only dots) becomes "lampiran".
pub fn content_disposition(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '"' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name = if trimmed.is_empty() {
        "lampiran"
    } else {
        trimmed
    };
    let ascii: String = name
        .chars()
        .map(|c| match c {
            // `%` too: some clients percent-decode the plain parameter.
            ' '..='~' if c != '%' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => encoded.push(b as char),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// What the manual-entry form holds (also when it is shown again with the reason).
#[derive(Deserialize, Serialize, Default)]
pub struct RecordForm {
    #[serde(default)]
    channel: String,
    /// The SP4N-LAPOR! report number; only for channel `lapor` (`Pipeline::record` checks).
    #[serde(default)]
    lapor_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    /// `YYYY-MM-DDTHH:MM` in WIB, as `<input type="datetime-local">` sends it; empty: now.
    #[serde(default)]
    received: String,
}

#[derive(Serialize)]
struct RecordScreen<'a> {
    form: &'a RecordForm,
    channels: Vec<&'static str>,
    error: Option<String>,
}

fn record_screen(
    app: &WebApp,
    session: &Session,
    form: &RecordForm,
    e: Option<ActionError>,
) -> Response {
    let status = e.as_ref().map_or(StatusCode::OK, action_status);
    let channels = crate::domain::Channel::ALL
        .iter()
        .filter(|c| **c != crate::domain::Channel::Email)
        .map(|c| c.as_str())
        .collect();
    render(
        app,
        status,
        "web/catat.html",
        Some(session),
        &session.csrf,
        RecordScreen {
            form,
            channels,
            error: e.map(|e| e.to_string()),
        },
    )
}

pub async fn record_form(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
) -> Response {
    let form = RecordForm {
        channel: "telepon".into(),
        ..RecordForm::default()
    };
    record_screen(&app, &session, &form, None)
}

/// Catat pengaduan: a complaint that came by telephone, WhatsApp, the suggestion box, a
/// letter, in person, SMS or SP4N-LAPOR! enters the register through the same
/// `Pipeline::record` as `pengaduan complaints record`.
pub async fn record(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Form(form): Form<RecordForm>,
) -> Response {
    let now = app.clock.now();
    let manual = (|| {
        let channel: crate::domain::Channel = form.channel.parse().map_err(|_| {
            ActionError::Invalid(format!(
                "saluran {:?} tidak dikenal; pilih dari daftar",
                form.channel
            ))
        })?;
        let received_at = match form.received.trim() {
            "" => now,
            s => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|t| t.and_local_timezone(crate::calendar::WIB).single())
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok_or_else(|| {
                    ActionError::Invalid(format!(
                        "waktu diterima {s:?} tidak dikenali; tulis seperti 2026-11-23T09:30 (WIB)"
                    ))
                })?,
        };
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok::<_, ActionError>(crate::app::actions::ManualComplaint {
            channel,
            lapor_number: text(&form.lapor_number),
            name: text(&form.name),
            address: text(&form.address),
            phone: text(&form.phone),
            email: None,
            subject: text(&form.subject),
            text: form.text.clone(),
            kind: None,
            received_at,
        })
    })();
    let manual = match manual {
        Ok(m) => m,
        Err(e) => return record_screen(&app, &session, &form, Some(e)),
    };
    let by = session.name.as_str().to_string();
    let pipeline = app.pipeline.clone();
    let done = app
        .store
        .run(move |s| Ok(pipeline.record(s, &manual, &by, now)))
        .await
        .unwrap_or_else(|e| Err(ActionError::Store(e)));
    match done {
        Ok(ticket) => Redirect::to(&format!("/pengaduan/{ticket}")).into_response(),
        Err(ActionError::Store(e)) => server_error(&e),
        Err(e) => record_screen(&app, &session, &form, Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn download_names_are_safe_in_the_header() {
        assert_eq!(
            content_disposition("foto.jpg"),
            "attachment; filename=\"foto.jpg\"; filename*=UTF-8''foto.jpg"
        );
        assert_eq!(
            content_disposition("../../x\".html"),
            "attachment; filename=\"x.html\"; filename*=UTF-8''x.html"
        );
        assert_eq!(
            content_disposition("surat ñ 100%.pdf"),
            "attachment; filename=\"surat _ 100_.pdf\"; filename*=UTF-8''surat%20%C3%B1%20100%25.pdf"
        );
        for empty in ["", "..", "/", "\"\r\n"] {
            assert_eq!(
                content_disposition(empty),
                "attachment; filename=\"lampiran\"; filename*=UTF-8''lampiran",
                "{empty:?}"
            );
        }
        let evil = content_disposition("a\r\nSet-Cookie: x=1;\u{202e}fdp.exe");
        assert!(
            !evil.contains('\r') && !evil.contains('\n') && !evil.contains('\u{202e}'),
            "{evil}"
        );
    }
}
