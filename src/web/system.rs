//! *Kondisi sistem* (`/sistem`): the daemon's own condition for every member of staff, and
//! *Kirim ulang* for a failed mail (petugas and admin). Thin over `app::system`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::auth::{Allowed, RequireRole, Staff};
use super::pages::{render, server_error};
use super::{State as AppState, WebApp};
use crate::app::accounts::Session;
use crate::app::system::{self, SystemPage};
use crate::app::ActionError;
use crate::domain::Role;

/// Sending a failed mail again: petugas, who handle the mail, and admin, who run the
/// system.
pub struct Retrying;

impl Allowed for Retrying {
    const ROLES: &'static [Role] = &[Role::Petugas, Role::Admin];
}

#[derive(Serialize)]
struct Screen {
    #[serde(flatten)]
    page: SystemPage,
    /// The session may press *Kirim ulang*.
    can_retry: bool,
    /// What the last action said: done (`retried`) or why not (`error`).
    retried: Option<i64>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    /// `?dikirim=ID` after a retry (POST/redirect/GET).
    dikirim: Option<i64>,
}

async fn page(
    app: &WebApp,
    session: &Session,
    status: StatusCode,
    retried: Option<i64>,
    error: Option<String>,
) -> Response {
    let now = app.clock.now();
    let pipeline = app.pipeline.clone();
    let loaded = app
        .store
        .run(move |s| system::system_page(s, &pipeline.config, &pipeline.calendar, now))
        .await;
    match loaded {
        Ok(page) => render(
            app,
            status,
            "web/sistem.html",
            Some(session),
            &session.csrf,
            Screen {
                page,
                can_retry: Retrying::ROLES.contains(&session.role),
                retried,
                error,
            },
        ),
        Err(e) => server_error(&e),
    }
}

pub async fn show(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(q): Query<Shown>,
) -> Response {
    page(&app, &session, StatusCode::OK, q.dikirim, None).await
}

pub async fn retry(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Retrying>,
    Path(id): Path<i64>,
) -> Response {
    let by = session.name.as_str().to_string();
    let now = app.clock.now();
    let done = app
        .store
        .run(move |s| Ok(system::retry_outbox(s, id, &by, now)))
        .await
        .unwrap_or_else(|e| Err(ActionError::Store(e)));
    match done {
        Ok(_) => Redirect::to(&format!("/sistem?dikirim={id}")).into_response(),
        Err(ActionError::Store(e)) => server_error(&e),
        Err(e) => {
            let status = match e {
                ActionError::NotFound(_) => StatusCode::NOT_FOUND,
                ActionError::WrongState(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            page(&app, &session, status, None, Some(e.to_string())).await
        }
    }
}
