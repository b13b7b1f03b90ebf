//! The announcement board: `/papan` and `/papan/cetak` for the public (no login), and
//! `/papan/kelola` where staff write, preview, publish and unpublish entries. Thin: the
//! rules are `app::board`; `ActionError` maps to 404 / 409 / 422.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{Allowed, RequireRole, Staff};
use super::pages::{action_status, render, server_error};
use super::{State as AppState, WebApp};
use crate::app::accounts::Session;
use crate::app::actions::ActionError;
use crate::app::board::{self, Draft, FOLLOWUP_CHARS, SUMMARY_CHARS};
use crate::domain::{Role, Ticket};
use crate::reports::board::{Board, Entry};

/// Who may publish and unpublish: the staff who handle complaints. Every role reads.
pub struct BoardEditors;

impl Allowed for BoardEditors {
    const ROLES: &'static [Role] = &[Role::Petugas, Role::Kepala, Role::Mutu];
}

#[derive(Serialize)]
struct PublicBoard<'a> {
    puskesmas: &'a str,
    contact: &'a str,
    /// Today (RFC 3339, WIB): a printed board says how current it is.
    as_of: String,
    board: Board,
    printable: bool,
}

async fn public(app: &WebApp, printable: bool) -> Response {
    match app.store.run(|s| board::board(s)).await {
        Ok(board) => {
            let page = PublicBoard {
                puskesmas: &app.puskesmas,
                contact: &app.contact,
                as_of: crate::clock::to_wib_rfc3339(app.clock.now()),
                board,
                printable,
            };
            match app.templates.render("web/papan.html", &page) {
                Ok(html) => Html(html).into_response(),
                Err(e) => server_error(&e),
            }
        }
        Err(e) => server_error(&e),
    }
}

pub async fn papan(State(app): State<AppState>) -> Response {
    public(&app, false).await
}

pub async fn papan_cetak(State(app): State<AppState>) -> Response {
    public(&app, true).await
}

#[derive(Serialize)]
struct CaseView {
    ticket: String,
    status: String,
    unit: Option<String>,
    subject: String,
    closed_at: Option<String>,
    published: bool,
    offered: bool,
}

#[derive(Serialize)]
struct PublishedView {
    ticket: String,
    entry: Entry,
}

#[derive(Serialize)]
struct ManagePage<'a> {
    cases: Vec<CaseView>,
    published: Vec<PublishedView>,
    can_act: bool,
    error: Option<String>,
    /// The form that was refused, filled in again.
    ticket: &'a str,
    summary: &'a str,
    followup: &'a str,
    summary_chars: String,
    followup_chars: String,
}

async fn manage_page(
    app: &WebApp,
    session: &Session,
    refused: Option<(&ActionError, &BoardForm)>,
) -> Response {
    let listed = match app.store.run(|s| board::management(s)).await {
        Ok(m) => m,
        Err(e) => return server_error(&e),
    };
    let empty = BoardForm::default();
    let (status, error, form) = match refused {
        Some((e, form)) => (action_status(e), Some(e.to_string()), form),
        None => (StatusCode::OK, None, &empty),
    };
    let page = ManagePage {
        cases: listed
            .cases
            .into_iter()
            .map(|c| CaseView {
                offered: board::offered_first(c.status),
                ticket: c.ticket.to_string(),
                status: c.status.as_str().into(),
                unit: c.unit,
                subject: c.subject,
                closed_at: c.closed_at.map(crate::clock::to_wib_rfc3339),
                published: c.published,
            })
            .collect(),
        published: listed
            .published
            .into_iter()
            .map(|(ticket, entry)| PublishedView { ticket, entry })
            .collect(),
        can_act: BoardEditors::ROLES.contains(&session.role),
        error,
        ticket: form.ticket.trim(),
        summary: &form.summary,
        followup: &form.followup,
        summary_chars: format!("{}–{}", SUMMARY_CHARS.start(), SUMMARY_CHARS.end()),
        followup_chars: format!("{}–{}", FOLLOWUP_CHARS.start(), FOLLOWUP_CHARS.end()),
    };
    render(
        app,
        status,
        "web/papan_kelola.html",
        Some(session),
        &session.csrf,
        page,
    )
}

pub async fn kelola(State(app): State<AppState>, Staff(session): Staff) -> Response {
    manage_page(&app, &session, None).await
}

#[derive(Deserialize, Default, Clone)]
pub struct BoardForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    followup: String,
}

impl BoardForm {
    fn ticket(&self) -> Result<Ticket, ActionError> {
        self.ticket
            .trim()
            .parse()
            .map_err(|e: crate::domain::DomainError| ActionError::Invalid(e.to_string()))
    }

    fn draft(&self) -> Draft {
        Draft {
            summary: self.summary.clone(),
            followup: self.followup.clone(),
        }
    }
}

/// What an action came to: its page on success, the management page with the reason
/// otherwise.
async fn after(
    app: &WebApp,
    session: &Session,
    form: &BoardForm,
    done: Result<Response, ActionError>,
) -> Response {
    match done {
        Ok(page) => page,
        Err(ActionError::Store(e)) => server_error(&e),
        Err(e) => manage_page(app, session, Some((&e, form))).await,
    }
}

#[derive(Serialize)]
struct PreviewPage {
    ticket: String,
    entry: Entry,
    summary: String,
    followup: String,
}

pub async fn pratinjau(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<BoardEditors>,
    Form(form): Form<BoardForm>,
) -> Response {
    let shown = async {
        let ticket = form.ticket()?;
        let draft = form.draft();
        let entry = app
            .store
            .run(move |s| Ok(board::preview(s, &ticket, &draft)))
            .await??;
        let page = PreviewPage {
            ticket: ticket.to_string(),
            // What is published is what was previewed: the checked, collapsed texts.
            summary: entry.summary.clone(),
            followup: entry.followup.clone(),
            entry,
        };
        Ok(render(
            &app,
            StatusCode::OK,
            "web/papan_pratinjau.html",
            Some(&session),
            &session.csrf,
            page,
        ))
    }
    .await;
    after(&app, &session, &form, shown).await
}

/// A change to the board by the logged-in editor, then back to the management page.
async fn change<F>(app: &WebApp, session: &Session, form: &BoardForm, f: F) -> Response
where
    F: FnOnce(&mut crate::store::Store, Ticket, &str, DateTime<Utc>) -> Result<(), ActionError>
        + Send
        + 'static,
{
    let done = async {
        let ticket = form.ticket()?;
        let (by, now) = (session.name.as_str().to_string(), app.clock.now());
        app.store.run(move |s| Ok(f(s, ticket, &by, now))).await??;
        Ok(Redirect::to("/papan/kelola").into_response())
    }
    .await;
    after(app, session, form, done).await
}

pub async fn umumkan(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<BoardEditors>,
    Form(form): Form<BoardForm>,
) -> Response {
    let draft = form.draft();
    change(&app, &session, &form, move |s, ticket, by, now| {
        board::publish(s, &ticket, &draft, by, now).map(drop)
    })
    .await
}

pub async fn cabut(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<BoardEditors>,
    Form(form): Form<BoardForm>,
) -> Response {
    change(&app, &session, &form, |s, ticket, by, now| {
        board::unpublish(s, &ticket, by, now)
    })
    .await
}
