//! The register download and the monthly report pages. Every role may read them.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::Staff;
use super::pages::{render, server_error};
use super::State as AppState;
use crate::app::accounts::Session;
use crate::app::{register, report};
use crate::calendar::local_date;
use crate::reports::register::Period;
use crate::reports::report::Report;
use crate::reports::sheet::SheetFormat;

/// `?bulan=2026-11` (the month input's value); the current month (WIB) when absent. A month
/// that cannot be read is refused with the page that says how to write it.
// The refusal is the page itself, returned once per request: boxing it would buy nothing.
#[allow(clippy::result_large_err)]
fn month_of(
    app: &AppState,
    session: &Session,
    q: &HashMap<String, String>,
) -> Result<Period, Response> {
    match q.get("bulan").filter(|v| !v.is_empty()) {
        Some(v) => Period::parse_month(v).map_err(|_| {
            invalid(
                app,
                session,
                format!("Bulan {v:?} tidak dikenal; pilih bulan dengan format TAHUN-BULAN, misalnya 2026-11."),
            )
        }),
        None => Ok(Period::containing(local_date(app.clock.now()))),
    }
}

#[derive(Serialize)]
struct Problem {
    title: &'static str,
    message: String,
}

fn invalid(app: &AppState, session: &Session, message: String) -> Response {
    render(
        app,
        StatusCode::UNPROCESSABLE_ENTITY,
        "web/message.html",
        Some(session),
        &session.csrf,
        Problem {
            title: "Tidak dapat diproses",
            message,
        },
    )
}

#[derive(Serialize)]
struct RegisterPage {
    month: String,
    month_label: String,
    rows: Option<usize>,
}

pub async fn register_page(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let month = month_of(&app, &session, &q)?;
    let (start, end) = month.bounds();
    let counted = app.store.run(move |s| s.register_facts(start, end)).await;
    Ok(match counted {
        Ok(facts) => render(
            &app,
            StatusCode::OK,
            "web/register.html",
            Some(&session),
            &session.csrf,
            RegisterPage {
                month: month.slug(),
                month_label: month.label(),
                rows: Some(facts.len()),
            },
        ),
        Err(e) => server_error(&e),
    })
}

/// `?bulan=2026-11&format=xlsx|csv`: the file, as a download.
pub async fn register_download(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let month = month_of(&app, &session, &q)?;
    let format = match q.get("format").map_or(Ok(SheetFormat::Xlsx), |f| f.parse()) {
        Ok(f) => f,
        Err(_) => {
            return Err(invalid(
                &app,
                &session,
                "Format berkas tidak dikenal; pilih xlsx atau csv.".into(),
            ))
        }
    };
    let now = app.clock.now();
    let a = app.clone();
    let made = app
        .store
        .run(move |s| register::file(s, &a.pipeline.calendar, &month, format, &a.puskesmas, now))
        .await;
    Ok(match made {
        Ok(file) => {
            let disposition = format!("attachment; filename=\"{}\"", file.name);
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(format.content_type()),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                file.bytes,
            )
                .into_response()
        }
        Err(e) => server_error(&e),
    })
}

#[derive(Serialize)]
struct ReportPage {
    report: Report,
}

async fn report_of(app: &AppState, month: Period) -> anyhow::Result<Report> {
    let now = app.clock.now();
    let a = app.clone();
    app.store
        .run(move |s| report::monthly(s, &a.pipeline.calendar, &month, now))
        .await
}

pub async fn report_page(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let month = month_of(&app, &session, &q)?;
    Ok(match report_of(&app, month).await {
        Ok(report) => render(
            &app,
            StatusCode::OK,
            "web/report.html",
            Some(&session),
            &session.csrf,
            ReportPage { report },
        ),
        Err(e) => server_error(&e),
    })
}

/// The printable page: the same report without menus, A4 print styles.
pub async fn report_print(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let month = month_of(&app, &session, &q)?;
    let report = match report_of(&app, month).await {
        Ok(r) => r,
        Err(e) => return Err(server_error(&e)),
    };
    let page = report::PrintContext {
        puskesmas: &app.puskesmas,
        report: &report,
        standalone: false,
        css: "",
    };
    Ok(match app.templates.render("web/report_print.html", &page) {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => server_error(&e),
    })
}
