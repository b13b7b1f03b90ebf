//! For the operator's tools: `/healthz` (a load balancer or uptime check; no login) and
//! `/metrics` (Prometheus text format 0.0.4; loopback or the configured Bearer token).

use std::fmt::Write;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::auth::{is_local, same};
use super::State as AppState;
use crate::domain::Status;
use crate::store::health::SystemState;
use crate::store::metrics::Breaches;

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// 200 when the daemon can do its work; 503 with the reasons otherwise: the one judgement
/// (`health::judge`) found a problem that stops it (the mailbox silent or never read, Gmail
/// limiting the mailbox or pausing all sending, mail stuck in the outbox, a full disk), or
/// the database does not answer. Problems that need a person but do not stop the daemon
/// come as `warnings`, with either status.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let now = app.clock.now();
    let pipeline = app.pipeline.clone();
    let reading = app
        .store
        .run(move |s| {
            crate::app::system::read_health(s, &pipeline.config, Some(&pipeline.calendar), now)
        })
        .await;
    let reading = match reading {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("healthz: the database does not answer: {e:#}");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "unhealthy", "problems": [{"problem": "database_unavailable"}]}),
            );
        }
    };
    let (problems, warnings): (Vec<_>, Vec<_>) = crate::workflow::health::shown(&reading.problems)
        .into_iter()
        .partition(|p| p.unhealthy);
    let read = reading
        .state
        .mailbox_read_at
        .map(crate::clock::to_wib_rfc3339);
    if problems.is_empty() {
        json_response(
            StatusCode::OK,
            json!({"status": "ok", "mailbox_read_at": read, "warnings": warnings}),
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "unhealthy", "problems": problems, "warnings": warnings, "mailbox_read_at": read}),
        )
    }
}

/// A caller allowed to read `/metrics`.
pub struct MetricsCaller;

impl FromRequestParts<AppState> for MetricsCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let token = app.metrics_token.as_ref();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let token_ok = matches!((token, bearer), (Some(t), Some(b)) if same(t.expose(), b));
        if token_ok || is_local(parts) {
            return Ok(MetricsCaller);
        }
        Err(match token {
            Some(_) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics: Bearer token required\n",
            )
                .into_response(),
            None => (
                StatusCode::FORBIDDEN,
                "metrics: only from this machine (set web.metrics_token_env to allow others)\n",
            )
                .into_response(),
        })
    }
}

/// What `/metrics` reports, read in one go.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub messages_by_class: Vec<(String, i64)>,
    pub complaints_by_status: Vec<(Status, i64)>,
    pub outbox_by_status: Vec<(String, i64)>,
    pub breaches: Breaches,
    pub mailbox_read_at: Option<DateTime<Utc>>,
}

pub async fn metrics(State(app): State<AppState>, _: MetricsCaller) -> Response {
    let now = app.clock.now();
    let figures = app
        .store
        .run(move |s| {
            let state: SystemState = s.system_state()?;
            Ok(Figures {
                messages_by_class: s.message_counts()?,
                complaints_by_status: s.complaint_counts()?,
                outbox_by_status: s.outbox_counts()?,
                breaches: s.deadline_breaches(now)?,
                mailbox_read_at: state.mailbox_read_at,
            })
        })
        .await;
    match figures {
        Ok(f) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            exposition(&f, now),
        )
            .into_response(),
        Err(e) => super::pages::server_error(&e),
    }
}

/// Label values may hold `\`, `"` and newlines, escaped as the text format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// PURE: the Prometheus text exposition of `f` at `now`.
pub fn exposition(f: &Figures, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, i64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let by = |key: &str, rows: &mut dyn Iterator<Item = (String, i64)>| -> Vec<(String, i64)> {
        rows.map(|(v, n)| (format!("{{{key}=\"{}\"}}", label(&v)), n))
            .collect()
    };
    family(
        "pengaduan_messages_ingested_total",
        "counter",
        "Messages stored from the mailbox and files, by class.",
        &by("class", &mut f.messages_by_class.iter().cloned()),
    );
    family(
        "pengaduan_complaints",
        "gauge",
        "Complaints in the register, by status.",
        &by(
            "status",
            &mut f
                .complaints_by_status
                .iter()
                .map(|(s, n)| (s.as_str().to_string(), *n)),
        ),
    );
    // The outbox keeps every mail; "pending" is shown as waiting.
    let outbox = |status: &str| {
        f.outbox_by_status
            .iter()
            .filter(|(s, _)| s == status)
            .map(|(_, n)| n)
            .sum::<i64>()
    };
    family(
        "pengaduan_outbox_mails",
        "gauge",
        "Outgoing mails by delivery status (sent, failed, waiting).",
        &by(
            "status",
            &mut [
                ("sent", "sent"),
                ("failed", "failed"),
                ("waiting", "pending"),
            ]
            .into_iter()
            .map(|(shown, stored)| (shown.to_string(), outbox(stored))),
        ),
    );
    family(
        "pengaduan_deadline_breaches",
        "gauge",
        "Open complaints past their review or answer deadline without that step done.",
        &by(
            "deadline",
            &mut [
                ("review".to_string(), f.breaches.review),
                ("answer".to_string(), f.breaches.answer),
            ]
            .into_iter(),
        ),
    );
    // Absent until the mailbox was read once, so an alert on absence catches that too.
    let age: Vec<(String, i64)> = f
        .mailbox_read_at
        .map(|t| (String::new(), (now - t).num_seconds().max(0)))
        .into_iter()
        .collect();
    family(
        "pengaduan_mailbox_sync_age_seconds",
        "gauge",
        "Seconds since the mailbox was last read successfully.",
        &age,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn exposition_format() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let f = Figures {
            messages_by_class: vec![("machine".into(), 2), ("per\"son".into(), 7)],
            complaints_by_status: vec![(Status::Received, 3), (Status::Referred, 0)],
            outbox_by_status: vec![("pending".into(), 1), ("sent".into(), 9)],
            breaches: Breaches {
                review: 1,
                answer: 2,
            },
            mailbox_read_at: Some(now - Duration::seconds(42)),
        };
        let text = exposition(&f, now);
        for line in [
            "# TYPE pengaduan_messages_ingested_total counter",
            "pengaduan_messages_ingested_total{class=\"machine\"} 2",
            "pengaduan_messages_ingested_total{class=\"per\\\"son\"} 7",
            "pengaduan_complaints{status=\"received\"} 3",
            "pengaduan_complaints{status=\"referred\"} 0",
            "pengaduan_outbox_mails{status=\"sent\"} 9",
            "pengaduan_outbox_mails{status=\"failed\"} 0",
            "pengaduan_outbox_mails{status=\"waiting\"} 1",
            "pengaduan_deadline_breaches{deadline=\"review\"} 1",
            "pengaduan_deadline_breaches{deadline=\"answer\"} 2",
            "pengaduan_mailbox_sync_age_seconds 42",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        let never = exposition(&Figures::default(), now);
        assert!(!never
            .lines()
            .any(|l| l.starts_with("pengaduan_mailbox_sync_age_seconds")));
    }
}
