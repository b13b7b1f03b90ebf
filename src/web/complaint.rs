//! Satu pengaduan (`/pengaduan/{ticket}`) and its forms: the review plan, the answer with a
//! preview of the exact email, closing. Each form calls one `app` action; an
//! [`ActionError`] comes back as 404, 409 or 422 with its message on the page.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::auth::{Acting, RequireRole, Reviewing, Staff};
use super::pages::{render, server_error};
use super::{State as AppState, WebApp};
use crate::app::accounts::Session;
use crate::app::{views, ActionError};
use crate::domain::Ticket;

fn status_of(e: &ActionError) -> StatusCode {
    match e {
        ActionError::NotFound(_) => StatusCode::NOT_FOUND,
        ActionError::WrongState(_) => StatusCode::CONFLICT,
        ActionError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ActionError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

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
    let loaded = match parse_ticket(ticket) {
        Ok(t) => app
            .store
            .run(move |s| Ok(views::complaint_page(s, &t, now)))
            .await
            .unwrap_or_else(|e| Err(ActionError::Store(e))),
        Err(e) => Err(e),
    };
    let page = match loaded {
        Ok(page) => page,
        Err(ActionError::Store(e)) => return server_error(&e),
        Err(e) => {
            return render(
                app,
                status_of(&e),
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
        Err(e) => (status_of(&e), Some(e.to_string()), None),
    };
    render(
        app,
        status,
        "web/pengaduan.html",
        Some(session),
        &session.csrf,
        Screen {
            page,
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

pub async fn close(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Path(ticket): Path<String>,
) -> Response {
    let by = session.name.as_str().to_string();
    let done = act(&app, &ticket, move |p, s, t, now| p.close(s, t, &by, now)).await;
    after(&app, &session, &ticket, done, String::new()).await
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
    let status = e.as_ref().map_or(StatusCode::OK, status_of);
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
