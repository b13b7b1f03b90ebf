//! Surel yang ditandai (`/ditandai`): the list `pengaduan flagged` shows — suspect,
//! unreadable and flagged mail, web-form relays and mail without a sender, each with its
//! reason — and the *Surel otomatis* tab (`?otomatis=1`, `pengaduan flagged --machine`):
//! machine mail, newest first. For a suspect, unreadable or machine message that
//! registered nothing, the form that accepts it as a complaint
//! (`Pipeline::accept_flagged`, the account as the actor).

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::auth::{Acting, Allowed, RequireRole, Staff};
use super::pages::action_status;
use super::pages::{render, server_error};
use super::{State as AppState, WebApp};
use crate::app::accounts::Session;
use crate::app::{views, ActionError};

#[derive(Serialize)]
struct Screen {
    #[serde(flatten)]
    page: views::FlaggedPage,
    may_act: bool,
    /// The *Surel otomatis* tab (machine mail) rather than the flagged list.
    machine: bool,
    error: Option<String>,
}

/// `?otomatis=1`: the *Surel otomatis* tab.
#[derive(Deserialize, Default)]
pub struct Tab {
    #[serde(default)]
    otomatis: Option<String>,
}

impl Tab {
    fn machine(&self) -> bool {
        self.otomatis
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0")
    }
}

async fn page(
    app: &WebApp,
    session: &Session,
    machine: bool,
    error: Option<ActionError>,
) -> Response {
    let loaded = app
        .store
        .run(move |s| match machine {
            true => views::machine_page(s),
            false => views::flagged_page(s),
        })
        .await;
    let page = match loaded {
        Ok(page) => page,
        Err(e) => return server_error(&e),
    };
    let status = error.as_ref().map_or(StatusCode::OK, action_status);
    render(
        app,
        status,
        "web/ditandai.html",
        Some(session),
        &session.csrf,
        Screen {
            page,
            may_act: Acting::ROLES.contains(&session.role),
            machine,
            error: error.map(|e| e.to_string()),
        },
    )
}

pub async fn show(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(tab): Query<Tab>,
) -> Response {
    page(&app, &session, tab.machine(), None).await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    message_id: String,
    /// Sent from the *Surel otomatis* tab: an error shows that tab again.
    #[serde(default)]
    otomatis: Option<String>,
}

/// A person decided the message is a genuine complaint: it is registered (and
/// acknowledged where the rules allow), and the page of its complaint opens.
pub async fn accept(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<Acting>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let by = session.name.as_str().to_string();
    let pipeline = app.pipeline.clone();
    let now = app.clock.now();
    let machine = Tab {
        otomatis: form.otomatis.clone(),
    }
    .machine();
    let done = app
        .store
        .run(move |s| Ok(pipeline.accept_flagged(s, &form.message_id, &by, now)))
        .await
        .unwrap_or_else(|e| Err(ActionError::Store(e)));
    match done {
        Ok((ticket, _)) => Redirect::to(&format!("/pengaduan/{ticket}")).into_response(),
        Err(ActionError::Store(e)) => server_error(&e),
        Err(e) => page(&app, &session, machine, Some(e)).await,
    }
}
