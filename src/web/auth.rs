//! Sessions, CSRF, origins and roles, as layers and extractors so no handler repeats them:
//! `check_origin` (every POST: `Origin`, or else `Referer`, must be the dashboard's own),
//! `load_session` (every request: the cookie's session, if valid, into the request),
//! `check_csrf` (every POST: the form's `csrf` field must match the session's token, or
//! before login the login cookie's server-signed token), `require_session` (every
//! `Access::Staff` route), and the `Staff` / `RequireRole` extractors. The device cookies of
//! the login throttle are read and written here too.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::pages;
use crate::app::accounts::{self, Device, Session};
use crate::domain::Role;

pub const SESSION_COOKIE: &str = "pengaduan_sesi";
/// Before login there is no session to hold a CSRF token: the login form's token is also
/// set in this cookie and the two must match (double submit), and the token must carry the
/// server's signature (`ServerSecret::login_token`), so a made-up pair is refused.
pub const LOGIN_COOKIE: &str = "pengaduan_masuk";
/// A browser that logged in as NAME keeps `pengaduan_perangkat_NAME`, the signed device
/// cookie that lets it past other people's failed logins (`accounts::Standing::Device`).
pub const DEVICE_COOKIE_PREFIX: &str = "pengaduan_perangkat_";

/// Forms are small; a larger body is refused before it is read whole.
const FORM_LIMIT: usize = 64 * 1024;

/// The value of cookie `name` (RFC 6265 §5.4: `name=value` pairs joined by "; ").
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Every cookie whose name starts with `prefix`, as (name, value).
pub fn cookies_with_prefix(headers: &HeaderMap, prefix: &str) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A `Set-Cookie` for our tokens: HttpOnly (no script reads it), SameSite=Strict (no other
/// site's page sends it), Secure when the dashboard is reached over https. `max_age`
/// `Some(0)` deletes it; `None` lasts until the browser closes.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u32>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    // Our values are hex tokens and signed device cookies of account names: always a
    // valid header value.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Equal without an early exit, so the time taken does not reveal a matching prefix.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn load_session(
    State(app): State<super::State>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE).filter(|t| is_token(t)) {
        match accounts::session(&app.store, &*app.clock, &token, app.settings.session_idle).await {
            Ok(Some(session)) => {
                req.extensions_mut().insert(session);
            }
            Ok(None) => {}
            Err(e) => return pages::server_error(&e),
        }
    }
    next.run(req).await
}

/// Anonymous: a page request goes to the login page, anything else is 401.
pub async fn require_session(
    State(app): State<super::State>,
    req: Request,
    next: Next,
) -> Response {
    if req.extensions().get::<Session>().is_some() {
        return next.run(req).await;
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        Redirect::to("/login").into_response()
    } else {
        pages::refusal(&app, None, Refusal::NotLoggedIn)
    }
}

/// Every POST carries the session's token (or, before login, the login cookie's signed
/// token) in the form field `csrf`; without it the request never reaches a handler.
pub async fn check_csrf(State(app): State<super::State>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let session = req.extensions().get::<Session>().cloned();
    let expected = match &session {
        Some(s) => Some(s.csrf.clone()),
        None => match app.secret().await {
            Ok(secret) => cookie(req.headers(), LOGIN_COOKIE)
                .filter(|t| secret.login_token_made(t, app.clock.now()).is_some()),
            Err(e) => return pages::server_error(&e),
        },
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return pages::refusal(&app, session.as_ref(), Refusal::TooLarge);
    };
    // The token is hex, so it needs no percent-decoding; anything else does not match.
    let sent = std::str::from_utf8(&bytes).ok().and_then(|form| {
        form.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "csrf")
            .map(|(_, v)| v.to_string())
    });
    match (expected, sent) {
        (Some(e), Some(s)) if is_token(&e) && same(&e, &s) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => pages::refusal(&app, session.as_ref(), Refusal::Form),
    }
}

/// Why a request was refused before any handler; `web/ditolak.html` words each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// No valid CSRF token: an expired or foreign form (403).
    Form,
    /// `Origin` (or `Referer`) is another site, or neither was sent (403).
    Origin,
    /// A form larger than `FORM_LIMIT` (413).
    TooLarge,
    /// A POST to a staff route without a session (401).
    NotLoggedIn,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Form | Refusal::Origin => StatusCode::FORBIDDEN,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::NotLoggedIn => StatusCode::UNAUTHORIZED,
        }
    }
}

/// Every request that can change something (any method but GET, HEAD and OPTIONS) must
/// come from a page of the dashboard itself: its `Origin` header, or without one its
/// `Referer`, must be the dashboard's origin (`web.public_url`, or `http://` and the
/// request's `Host` when that is unset). A request with neither is refused too (OWASP's
/// CSRF cheat sheet: browsers send `Origin` on every POST). This holds even where a
/// browser ignores SameSite.
pub async fn check_origin(State(app): State<super::State>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let own = match app.settings.public_url.as_deref() {
        Some(url) => origin_of(url),
        None => req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .and_then(|host| origin_of(&format!("http://{host}"))),
    };
    // A header that is not text names no origin (and is refused).
    let text = |h: &HeaderMap, name| {
        h.get(name)
            .map(|v| v.to_str().unwrap_or("(not text)").to_string())
    };
    let origin = text(req.headers(), header::ORIGIN);
    let referer = text(req.headers(), header::REFERER);
    if same_origin(own.as_ref(), origin.as_deref(), referer.as_deref()) {
        return next.run(req).await;
    }
    // The log names the origin only: a Referer's path and query may hold anything.
    let (parts, body) = req.into_parts();
    // Read (and drop) a form-sized body, so the connection stays usable for the browser's
    // next request instead of being cut with the form half sent.
    let _ = to_bytes(body, FORM_LIMIT).await;
    let named = |h: Option<String>| {
        h.map_or("-".to_string(), |h| {
            origin_of(&h).map_or("(not an origin)".into(), |o| o.to_string())
        })
    };
    tracing::warn!(
        path = %parts.uri.path(),
        origin = %named(origin),
        referer = %named(referer),
        ours = %own.map_or("(unknown)".into(), |o| o.to_string()),
        client = %client_address(&parts, app.settings.public_url.is_some()),
        "web: refused a request from another origin (behind a reverse proxy, set \
         web.public_url to the address staff open)"
    );
    pages::refusal(&app, None, Refusal::Origin)
}

/// A web origin (RFC 6454): scheme, host and port; the port is explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The origin of an http(s) URL (`Origin` header, `Referer`, `web.public_url`), or none
/// for anything else (`null`, another scheme, credentials in the URL, a malformed port).
pub fn origin_of(url: &str) -> Option<Origin> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    // `[v6]:port`, `[v6]`, `host:port`, `host`.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let port = match port {
        None | Some("") => default,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    if host.is_empty() {
        return None;
    }
    Some(Origin {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// PURE: whether a request's `Origin` (or, without it, `Referer`) names `own`. A request
/// with neither, or while our own origin is unknown, is not.
pub fn same_origin(own: Option<&Origin>, origin: Option<&str>, referer: Option<&str>) -> bool {
    let Some(own) = own else { return false };
    match origin.or(referer) {
        Some(url) => origin_of(url).as_ref() == Some(own),
        None => false,
    }
}

/// The login form's token for this browser: the one its login cookie holds while that is
/// valid and young (so two open login tabs both work), or a new one.
pub async fn login_token(app: &super::WebApp, headers: &HeaderMap) -> anyhow::Result<String> {
    let secret = app.secret().await?;
    let now = app.clock.now();
    if let Some(t) = cookie(headers, LOGIN_COOKIE) {
        if secret
            .login_token_made(&t, now)
            .is_some_and(|made| now - made < accounts::LOGIN_TOKEN_LIFETIME / 2)
        {
            return Ok(t);
        }
    }
    secret.login_token(now)
}

/// The login cookie holding `token`, as long as the token is accepted.
pub fn login_cookie(app: &super::WebApp, token: &str) -> HeaderValue {
    let age = accounts::LOGIN_TOKEN_LIFETIME.num_seconds() as u32;
    set_cookie(
        LOGIN_COOKIE,
        token,
        app.settings.secure_cookies(),
        Some(age),
    )
}

/// The browser's device cookies that carry our signature (for any names).
pub async fn devices(app: &super::WebApp, headers: &HeaderMap) -> anyhow::Result<Vec<Device>> {
    let secret = app.secret().await?;
    Ok(cookies_with_prefix(headers, DEVICE_COOKIE_PREFIX)
        .into_iter()
        .filter_map(|(name, value)| {
            secret
                .device(&value)
                .filter(|d| name[DEVICE_COOKIE_PREFIX.len()..] == *d.name.as_str())
        })
        .collect())
}

/// The `Set-Cookie` of a new device cookie: long-lived, HttpOnly, SameSite=Strict, Secure
/// when the dashboard is reached over https.
pub async fn device_cookie(app: &super::WebApp, device: &Device) -> anyhow::Result<HeaderValue> {
    let secret = app.secret().await?;
    let age = accounts::DEVICE_LIFETIME.num_seconds() as u32;
    Ok(set_cookie(
        &format!("{DEVICE_COOKIE_PREFIX}{}", device.name),
        &secret.device_cookie(device),
        app.settings.secure_cookies(),
        Some(age),
    ))
}

/// The client's address for the login rate limit and the audit log. Behind a reverse
/// proxy on the same machine (`web.public_url` set, the peer is loopback) the proxy's
/// `X-Forwarded-For` names the client: its last entry is the one the proxy itself added.
pub struct ClientAddress(pub String);

impl FromRequestParts<super::State> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &super::State,
    ) -> Result<Self, Self::Rejection> {
        let behind_proxy = state.settings.public_url.is_some();
        Ok(ClientAddress(client_address(parts, behind_proxy)))
    }
}

fn client_address(parts: &Parts, behind_proxy: bool) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    match (peer, forwarded) {
        (Some(p), Some(f)) if behind_proxy && p.is_loopback() => f.to_string(),
        (Some(p), _) => p.to_string(),
        (None, _) => "tidak diketahui".into(),
    }
}

/// A caller on this machine that did not come through a proxy.
pub fn is_local(parts: &Parts) -> bool {
    let peer_local = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    let proxied =
        parts.headers.contains_key("x-forwarded-for") || parts.headers.contains_key("forwarded");
    peer_local && !proxied
}

/// The logged-in member of staff (every `Access::Staff` route has one).
pub struct Staff(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(Staff)
            .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())
    }
}

/// Which roles a `RequireRole` admits.
pub trait Allowed {
    const ROLES: &'static [Role];
}

/// Managing accounts.
pub struct AdminOnly;

impl Allowed for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Acting on complaints: answer, close (petugas).
pub struct Acting;

impl Allowed for Acting {
    const ROLES: &'static [Role] = &[Role::Petugas];
}

/// Recording the review and its plan: petugas, and kepala and mutu who hold the review.
pub struct Reviewing;

impl Allowed for Reviewing {
    const ROLES: &'static [Role] = &[Role::Petugas, Role::Kepala, Role::Mutu];
}

/// A member of staff whose role is one of `R::ROLES`; others get 403.
pub struct RequireRole<R: Allowed>(pub Session, pub PhantomData<R>);

impl<R: Allowed> FromRequestParts<super::State> for RequireRole<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &super::State) -> Result<Self, Response> {
        let Staff(session) = Staff::from_request_parts(parts, state).await?;
        if R::ROLES.contains(&session.role) {
            Ok(RequireRole(session, PhantomData))
        } else {
            Err(pages::forbidden(state, &session))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; pengaduan_sesi=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), None);
        let c = set_cookie(SESSION_COOKIE, "abc", true, None);
        assert_eq!(
            c.to_str().unwrap(),
            "pengaduan_sesi=abc; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let own = origin_of("http://127.0.0.1:8080");
        let https = origin_of("https://pengaduan.example/");
        for (origin, referer, ours, expected) in [
            (Some("http://127.0.0.1:8080"), None, &own, true),
            (Some("HTTP://127.0.0.1:8080"), None, &own, true),
            (Some("http://127.0.0.1:8081"), None, &own, false),
            (Some("https://127.0.0.1:8080"), None, &own, false),
            (Some("http://127.0.0.1"), None, &own, false),
            (Some("null"), None, &own, false),
            (Some(""), None, &own, false),
            (
                Some("http://127.0.0.1:8080.evil.example"),
                None,
                &own,
                false,
            ),
            (
                Some("http://evil.example@127.0.0.1:8080"),
                None,
                &own,
                false,
            ),
            // Origin decides when present, whatever the Referer says.
            (
                Some("http://evil.example"),
                Some("http://127.0.0.1:8080/"),
                &own,
                false,
            ),
            (None, Some("http://127.0.0.1:8080/akun?x=1#y"), &own, true),
            (
                None,
                Some("http://evil.example/?http://127.0.0.1:8080"),
                &own,
                false,
            ),
            (None, None, &own, false),
            (Some("https://pengaduan.example"), None, &https, true),
            (Some("https://Pengaduan.Example:443"), None, &https, true),
            (Some("http://pengaduan.example"), None, &https, false),
            (Some("https://pengaduan.example"), None, &None, false),
        ] {
            assert_eq!(
                same_origin(ours.as_ref(), origin, referer),
                expected,
                "{origin:?} {referer:?} {ours:?}"
            );
        }
        assert_eq!(
            origin_of("http://[::1]:8080/x").map(|o| o.to_string()),
            Some("http://[::1]:8080".into())
        );
        assert_eq!(
            origin_of("http://[::1]").map(|o| o.to_string()),
            Some("http://[::1]:80".into())
        );
        assert_eq!(origin_of("ftp://example"), None);
        assert_eq!(origin_of("http://example:80x"), None);
        assert_eq!(origin_of("http://:80"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abcd", "abcd"));
        assert!(!same("abcd", "abce"));
        assert!(!same("abcd", "abc"));
        assert!(is_token(&"a".repeat(64)));
        assert!(!is_token(&"g".repeat(64)));
    }
}
