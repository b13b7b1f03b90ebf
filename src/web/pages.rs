//! The pages: login, logout, the register (the landing page) and the account page. Each extracts its
//! input, calls `app`, and renders `templates/web/`.

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};

use super::auth::{
    cookie, set_cookie, AdminOnly, ClientAddress, RequireRole, Staff, LOGIN_COOKIE, SESSION_COOKIE,
};
use super::{State as AppState, WebApp};
use crate::app::accounts::{self, AccountError, LoginError, Password, Session, Throttle};
use crate::app::views;
use crate::calendar::WIB;
use crate::domain::{AccountName, Role};

/// What every page's template sees besides its own fields.
#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    puskesmas: &'a str,
    /// The logged-in account, or none on the login page.
    staff: Option<StaffView<'a>>,
    /// The token every form carries back (`auth::check_csrf`).
    csrf: &'a str,
    #[serde(flatten)]
    page: T,
}

#[derive(Serialize)]
struct StaffView<'a> {
    name: &'a str,
    role: Role,
    is_admin: bool,
}

pub(super) fn render<T: Serialize>(
    app: &WebApp,
    status: StatusCode,
    template: &str,
    session: Option<&Session>,
    csrf: &str,
    page: T,
) -> Response {
    let frame = Frame {
        puskesmas: &app.puskesmas,
        staff: session.map(|s| StaffView {
            name: s.name.as_str(),
            role: s.role,
            is_admin: s.role == Role::Admin,
        }),
        csrf,
        page,
    };
    match app.templates.render(template, &frame) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => server_error(&e),
    }
}

/// The cause goes to the log, never to the browser.
/// The status a refused staff action gets: 404, 409 (do what comes first), 422 (fix the input).
pub fn action_status(e: &crate::app::actions::ActionError) -> StatusCode {
    use crate::app::actions::ActionError;
    match e {
        ActionError::NotFound(_) => StatusCode::NOT_FOUND,
        ActionError::WrongState(_) => StatusCode::CONFLICT,
        ActionError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ActionError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn server_error(e: &anyhow::Error) -> Response {
    tracing::error!("web: {e:#}");
    refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Terjadi kesalahan pada server. Coba lagi sebentar lagi; bila berulang, hubungi pengelola sistem.",
    )
}

/// A page without templates, for refusals that come before any handler (CSRF, errors).
pub fn refused(status: StatusCode, message: &'static str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Tidak dapat diproses</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"narrow\"><h1>Tidak dapat diproses</h1><p class=\"error\">{message}</p>\
         <p><a href=\"/\">Kembali ke halaman utama</a></p></main></body></html>"
    );
    (status, Html(html)).into_response()
}

#[derive(Serialize)]
struct Message<'a> {
    title: &'a str,
    message: &'a str,
}

pub fn forbidden(app: &WebApp, session: &Session) -> Response {
    render(
        app,
        StatusCode::FORBIDDEN,
        "web/message.html",
        Some(session),
        &session.csrf,
        Message {
            title: "Tidak berhak",
            message: "Akun Anda tidak berhak membuka halaman ini.",
        },
    )
}

pub async fn not_found(
    State(app): State<AppState>,
    session: Option<Extension<Session>>,
) -> Response {
    let session = session.map(|Extension(s)| s);
    render(
        &app,
        StatusCode::NOT_FOUND,
        "web/message.html",
        session.as_ref(),
        session.as_ref().map_or("", |s| &s.csrf),
        Message {
            title: "Halaman tidak ditemukan",
            message: "Alamat ini tidak ada di layanan pengaduan.",
        },
    )
}

/// A request refused before any handler (`auth::check_origin`, `check_csrf`,
/// `require_session`), worded by `web/ditolak.html`.
pub fn refusal(app: &WebApp, session: Option<&Session>, why: super::auth::Refusal) -> Response {
    #[derive(Serialize)]
    struct Refused {
        why: super::auth::Refusal,
    }
    let csrf = session.map_or("", |s| s.csrf.as_str());
    render(
        app,
        why.status(),
        "web/ditolak.html",
        session,
        csrf,
        Refused { why },
    )
}

#[derive(Serialize)]
struct LoginPage<'a> {
    name: &'a str,
    error: Option<LoginRefused>,
}

/// Why the login page is shown again; `web/login.html` words it.
#[derive(Serialize)]
struct LoginRefused {
    /// `invalid`, or the throttle that held the try back (`address`, `name`, `device`).
    kind: &'static str,
    /// Until when, as staff read the time ("09.15 WIB").
    until: String,
    /// How many seconds from now (at least 1).
    seconds: i64,
}

pub async fn login_form(
    State(app): State<AppState>,
    session: Option<Extension<Session>>,
    headers: HeaderMap,
) -> Response {
    if session.is_some() {
        return Redirect::to("/").into_response();
    }
    let token = match super::auth::login_token(&app, &headers).await {
        Ok(t) => t,
        Err(e) => return server_error(&e),
    };
    let page = LoginPage {
        name: "",
        error: None,
    };
    let mut res = render(&app, StatusCode::OK, "web/login.html", None, &token, page);
    res.headers_mut()
        .insert(header::SET_COOKIE, super::auth::login_cookie(&app, &token));
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let devices = match super::auth::devices(&app, &headers).await {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let attempt = accounts::LoginAttempt {
        typed_name: form.name.clone(),
        password: Password::typed(&form.password),
        address,
        devices,
    };
    match accounts::login(&app.store, &*app.clock, attempt).await {
        Ok(new) => {
            let device = match super::auth::device_cookie(&app, &new.device).await {
                Ok(c) => c,
                Err(e) => return server_error(&e),
            };
            let secure = app.settings.secure_cookies();
            let mut res = Redirect::to("/").into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &new.token, secure, None),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, "", secure, Some(0)),
            );
            h.append(header::SET_COOKIE, device);
            res
        }
        Err(LoginError::Store(e)) => server_error(&e),
        Err(e) => {
            let now = app.clock.now();
            let (status, error) = match e {
                LoginError::Throttled { until, why } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    LoginRefused {
                        kind: match why {
                            Throttle::Address => "address",
                            Throttle::Name => "name",
                            Throttle::Device => "device",
                        },
                        until: until.with_timezone(&WIB).format("%H.%M WIB").to_string(),
                        seconds: (until - now).num_seconds().max(1),
                    },
                ),
                _ => (
                    StatusCode::UNAUTHORIZED,
                    LoginRefused {
                        kind: "invalid",
                        until: String::new(),
                        seconds: 0,
                    },
                ),
            };
            let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
                .then(|| header::HeaderValue::from(error.seconds));
            // The form passed `check_csrf`, so the login cookie holds a valid token.
            let token = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
            let page = LoginPage {
                name: form.name.trim(),
                error: Some(error),
            };
            let mut res = render(&app, status, "web/login.html", None, &token, page);
            if let Some(v) = retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    }
}

pub async fn logout(State(app): State<AppState>, Staff(session): Staff) -> Response {
    if let Err(e) = accounts::logout(&app.store, &*app.clock, &session).await {
        return server_error(&e);
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", app.settings.secure_cookies(), Some(0)),
    );
    res
}

#[derive(Serialize)]
struct RegisterScreen<'a> {
    #[serde(flatten)]
    page: views::RegisterPage,
    query: &'a views::RegisterQuery,
    units: &'a [String],
}

/// Daftar pengaduan: the register, filtered and sorted by the next deadline.
pub async fn home(
    State(app): State<AppState>,
    Staff(session): Staff,
    Query(query): Query<views::RegisterQuery>,
) -> Response {
    let now = app.clock.now();
    let q = query.clone();
    match app
        .store
        .run(move |s| views::register_page(s, &q, now))
        .await
    {
        Ok(page) => render(
            &app,
            StatusCode::OK,
            "web/daftar.html",
            Some(&session),
            &session.csrf,
            RegisterScreen {
                page,
                query: &query,
                units: &app.units,
            },
        ),
        Err(e) => server_error(&e),
    }
}

#[derive(Serialize)]
struct AccountsPage<'a> {
    accounts: Vec<crate::store::accounts::AccountRow>,
    roles: &'static [Role],
    error: Option<String>,
    /// What the add form held when it was refused.
    name: &'a str,
    role: &'a str,
}

async fn accounts_page(
    app: &WebApp,
    session: &Session,
    status: StatusCode,
    error: Option<&AccountError>,
    name: &str,
    role: &str,
) -> Response {
    match accounts::list(&app.store).await {
        Ok(list) => render(
            app,
            status,
            "web/akun.html",
            Some(session),
            &session.csrf,
            AccountsPage {
                accounts: list,
                roles: Role::ALL,
                error: error.map(ToString::to_string),
                name,
                role,
            },
        ),
        Err(e) => server_error(&e),
    }
}

/// After a change from the account page: back to the page, or the page with the reason.
async fn after_change(
    app: &WebApp,
    session: &Session,
    done: Result<(), AccountError>,
    name: &str,
    role: &str,
) -> Response {
    match done {
        Ok(()) => Redirect::to("/akun").into_response(),
        Err(AccountError::Store(e)) => server_error(&e),
        Err(e) => accounts_page(app, session, status_of(&e), Some(&e), name, role).await,
    }
}

fn status_of(e: &AccountError) -> StatusCode {
    match e {
        AccountError::InvalidName(_)
        | AccountError::InvalidRole(_)
        | AccountError::WeakPassword
        | AccountError::LongPassword => StatusCode::UNPROCESSABLE_ENTITY,
        AccountError::NotFound(_) => StatusCode::NOT_FOUND,
        AccountError::Exists(_) | AccountError::AlreadyDisabled(_) => StatusCode::CONFLICT,
        AccountError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub async fn accounts(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<AdminOnly>,
) -> Response {
    accounts_page(&app, &session, StatusCode::OK, None, "", "petugas").await
}

#[derive(Deserialize)]
pub struct AddAccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn add_account(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<AdminOnly>,
    Form(form): Form<AddAccountForm>,
) -> Response {
    let added = async {
        let name = AccountName::parse(&form.name)?;
        let role: Role = form
            .role
            .parse()
            .map_err(|_| AccountError::InvalidRole(form.role.clone()))?;
        let password = Password::new(&form.password)?;
        accounts::add(
            &app.store,
            &*app.clock,
            session.name.as_str(),
            name,
            role,
            password,
        )
        .await
    }
    .await;
    after_change(&app, &session, added, form.name.trim(), &form.role).await
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    name: String,
}

pub async fn disable_account(
    State(app): State<AppState>,
    RequireRole(session, ..): RequireRole<AdminOnly>,
    Form(form): Form<DisableForm>,
) -> Response {
    let disabled = match AccountName::parse(&form.name) {
        Ok(name) => accounts::disable(&app.store, &*app.clock, session.name.as_str(), name).await,
        Err(e) => Err(e.into()),
    };
    after_change(&app, &session, disabled, "", "petugas").await
}
