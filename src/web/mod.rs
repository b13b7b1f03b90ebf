//! EDGE: the staff dashboard, served by the daemon (`[web]`). Handlers are thin: extract,
//! call `app`, render `templates/web/`. Sessions, origins, CSRF and roles are layers and
//! extractors (`auth`), never code in a handler; every route is declared once in
//! [`routes`], which says who may open it, so tests can walk the whole table.

mod auth;
mod board;
mod complaint;
mod flagged;
mod ops;
mod pages;
mod reports;
mod system;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::accounts::ServerSecret;
use crate::clock::Clock;
use crate::config::{self, Config, Secret};
use crate::store::SharedStore;
use crate::templates::Templates;

pub use auth::{AdminOnly, Allowed, RequireRole, Staff};

/// What every handler can reach.
pub struct WebApp {
    pub store: SharedStore,
    pub clock: Arc<dyn Clock>,
    pub templates: Templates,
    pub settings: config::Web,
    /// `web.metrics_token_env`/`_file`, read when the server starts.
    pub metrics_token: Option<Secret>,
    pub puskesmas: String,
    /// `puskesmas.contact`, for the public board's "how to reach us".
    pub contact: String,
    /// The units of `[units]`, for the register's filter.
    pub units: Vec<String>,
    /// What the staff actions need (config, calendar, templates of the mails).
    pub pipeline: Arc<crate::app::Pipeline>,
    /// The server secret (login tokens, device cookies), read from the database at first use.
    secret: tokio::sync::OnceCell<ServerSecret>,
}

impl WebApp {
    pub fn new(
        config: &Config,
        settings: config::Web,
        store: SharedStore,
        clock: Arc<dyn Clock>,
    ) -> Result<WebApp> {
        Ok(WebApp {
            store,
            clock,
            templates: Templates::from_config(config.templates_dir.as_deref())?,
            metrics_token: settings
                .metrics_token
                .as_ref()
                .map(|s| s.read())
                .transpose()?,
            settings,
            puskesmas: config.puskesmas.name.clone(),
            contact: config.puskesmas.contact.clone(),
            units: config.units.iter().map(|(u, _)| u.clone()).collect(),
            pipeline: Arc::new(crate::app::load_pipeline(config)?),
            secret: tokio::sync::OnceCell::new(),
        })
    }

    /// The server secret, made on the first call of the first start.
    pub async fn secret(&self) -> Result<&ServerSecret> {
        self.secret
            .get_or_try_init(|| ServerSecret::load(&self.store, &*self.clock))
            .await
            .context("cannot read the server secret from the database")
    }
}

type State = Arc<WebApp>;

/// Who may open a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the login page, `/healthz`, the stylesheet, the announcement board.
    Public,
    /// A logged-in member of staff (a role may be required on top, by `RequireRole`).
    Staff,
    /// Loopback callers, or the `web.metrics_token` as a Bearer token.
    Metrics,
}

/// One path, its methods and its access rule.
pub struct Route {
    pub path: &'static str,
    pub access: Access,
    pub methods: Vec<Method>,
    handler: MethodRouter<State>,
}

impl Route {
    fn new(path: &'static str, access: Access) -> Route {
        Route {
            path,
            access,
            methods: Vec::new(),
            handler: MethodRouter::new(),
        }
    }

    fn get<H: Handler<T, State>, T: 'static>(mut self, h: H) -> Route {
        self.methods.push(Method::GET);
        self.handler = self.handler.get(h);
        self
    }

    fn post<H: Handler<T, State>, T: 'static>(mut self, h: H) -> Route {
        self.methods.push(Method::POST);
        self.handler = self.handler.post(h);
        self
    }
}

/// Every route of the dashboard. A new page goes here, and nowhere else.
pub fn routes() -> Vec<Route> {
    use Access::*;
    vec![
        Route::new("/login", Public)
            .get(pages::login_form)
            .post(pages::login),
        Route::new("/healthz", Public).get(ops::healthz),
        Route::new("/static/app.css", Public).get(stylesheet),
        Route::new("/papan", Public).get(board::papan),
        Route::new("/papan/cetak", Public).get(board::papan_cetak),
        Route::new("/metrics", Metrics).get(ops::metrics),
        Route::new("/", Staff).get(pages::home),
        Route::new("/keluar", Staff).post(pages::logout),
        Route::new("/akun", Staff)
            .get(pages::accounts)
            .post(pages::add_account),
        Route::new("/akun/nonaktifkan", Staff).post(pages::disable_account),
        Route::new("/papan/kelola", Staff).get(board::kelola),
        Route::new("/papan/kelola/pratinjau", Staff).post(board::pratinjau),
        Route::new("/papan/kelola/umumkan", Staff).post(board::umumkan),
        Route::new("/papan/kelola/cabut", Staff).post(board::cabut),
        Route::new("/register", Staff).get(reports::register_page),
        Route::new("/register/unduh", Staff).get(reports::register_download),
        Route::new("/laporan", Staff).get(reports::report_page),
        Route::new("/laporan/cetak", Staff).get(reports::report_print),
        Route::new("/catat", Staff)
            .get(complaint::record_form)
            .post(complaint::record),
        Route::new("/pengaduan/{ticket}", Staff).get(complaint::show),
        Route::new("/pengaduan/{ticket}/telaah", Staff).post(complaint::review),
        Route::new("/pengaduan/{ticket}/jawab", Staff).post(complaint::answer),
        Route::new("/pengaduan/{ticket}/tutup", Staff).post(complaint::close),
        Route::new("/pengaduan/{ticket}/unit", Staff).post(complaint::assign),
        Route::new("/pengaduan/{ticket}/rujuk", Staff).post(complaint::refer),
        Route::new("/pengaduan/{ticket}/balasan", Staff).post(complaint::decide_reply),
        Route::new("/lampiran/{message}/{index}", Staff).get(complaint::attachment),
        Route::new("/ditandai", Staff).get(flagged::show),
        Route::new("/ditandai/terima", Staff).post(flagged::accept),
        Route::new("/sistem", Staff).get(system::show),
        Route::new("/sistem/kirim-ulang/{id}", Staff).post(system::retry),
    ]
}

pub fn router(app: State) -> Router {
    let (mut open, mut staff) = (Router::new(), Router::new());
    for r in routes() {
        match r.access {
            Access::Staff => staff = staff.route(r.path, r.handler),
            Access::Public | Access::Metrics => open = open.route(r.path, r.handler),
        }
    }
    let staff = staff.route_layer(middleware::from_fn_with_state(
        app.clone(),
        auth::require_session,
    ));
    open.merge(staff)
        .fallback(pages::not_found)
        // Outermost last: headers on everything, then the origin of each POST (before the
        // database is touched), then the session, then CSRF on each POST.
        .layer(middleware::from_fn_with_state(
            app.clone(),
            auth::check_csrf,
        ))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            auth::load_session,
        ))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            auth::check_origin,
        ))
        .layer(middleware::from_fn(security_headers))
        .with_state(app)
}

/// Serves until `stopped` turns true; requests in flight are finished first.
pub async fn serve(
    listener: TcpListener,
    app: State,
    mut stopped: watch::Receiver<bool>,
) -> Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "web dashboard listening");
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|s| *s).await;
    })
    .await
    .context("the web server stopped with an error")
}

/// `web.listen`, with the fix when the port is taken.
pub async fn bind(settings: &config::Web) -> Result<TcpListener> {
    TcpListener::bind(settings.listen).await.with_context(|| {
        format!(
            "cannot listen on web.listen = {} (is another program using the port? choose \
             another one in [web])",
            settings.listen
        )
    })
}

/// No inline script or style anywhere, so an injected one cannot run; nothing from another
/// origin; no framing (clickjacking); forms post only here.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    // Pages hold complainants' data: no copy in a shared PC's browser cache.
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The one stylesheet, built into the binary.
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}
