//! Sessions, CSRF and roles, as layers and extractors so no handler repeats them:
//! `load_session` (every request: the cookie's session, if valid, into the request),
//! `check_csrf` (every POST: the form's `csrf` field must match), `require_session`
//! (every `Access::Staff` route), and the `Staff` / `RequireRole` extractors.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::pages;
use crate::app::accounts::{self, Session};
use crate::domain::Role;

pub const SESSION_COOKIE: &str = "pengaduan_sesi";
/// Before login there is no session to hold a CSRF token: the login form's token is also
/// set in this cookie and the two must match (double submit).
pub const LOGIN_COOKIE: &str = "pengaduan_masuk";

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
    // Our values are hex tokens: always a valid header value.
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
pub async fn require_session(req: Request, next: Next) -> Response {
    if req.extensions().get::<Session>().is_some() {
        return next.run(req).await;
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        Redirect::to("/login").into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "Silakan masuk terlebih dahulu.").into_response()
    }
}

/// Every POST carries the session's token (or, before login, the login cookie's) in the
/// form field `csrf`; without it the request never reaches a handler.
pub async fn check_csrf(req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Session>() {
        Some(s) => Some(s.csrf.clone()),
        None => cookie(req.headers(), LOGIN_COOKIE),
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "Formulir terlalu besar.").into_response();
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
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        _ => pages::refused(
            StatusCode::FORBIDDEN,
            "Formulir ini sudah kedaluwarsa atau tidak berasal dari halaman ini. Muat ulang halaman lalu coba lagi.",
        ),
    }
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
    fn tokens_compare_whole() {
        assert!(same("abcd", "abcd"));
        assert!(!same("abcd", "abce"));
        assert!(!same("abcd", "abc"));
        assert!(is_token(&"a".repeat(64)));
        assert!(!is_token(&"g".repeat(64)));
    }
}
