//! EDGE: Gmail's XOAUTH2 login, the alternative to app passwords. An access token comes
//! from the configured refresh token (RFC 6749 section 6, `grant_type=refresh_token`) and
//! is cached until shortly before it expires; IMAP sends it with `AUTHENTICATE XOAUTH2`
//! (RFC 3501 section 6.2.2) and SMTP with `AUTH XOAUTH2` (RFC 4954), in the format
//! Google documents: `user={user}^Aauth=Bearer {token}^A^A`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration as StdDuration;

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::config::{OAuth2, Secret};

/// A token is refreshed this long before it expires, so it does not lapse mid-session.
const MARGIN: Duration = Duration::minutes(5);
const HTTP_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// The SASL XOAUTH2 initial client response (before base64, which the IMAP and SMTP
/// clients add).
pub fn xoauth2_response(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// PURE: whether a cached token is still good at `now`.
pub fn is_fresh(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now + MARGIN < expires_at
}

/// The SASL exchange for async-imap: the first challenge (empty) gets the token; a
/// second challenge is the server's JSON error, answered with an empty line so the
/// server ends the exchange with NO (Google's documented flow).
pub struct XOAuth2Authenticator {
    response: Option<String>,
}

impl XOAuth2Authenticator {
    pub fn new(user: &str, token: &Secret) -> Self {
        XOAuth2Authenticator {
            response: Some(xoauth2_response(user, token.expose())),
        }
    }
}

impl async_imap::Authenticator for XOAuth2Authenticator {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        self.response.take().unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<i64>,
    error: Option<String>,
    error_description: Option<String>,
}

type Cache = Mutex<HashMap<(String, String), (Secret, DateTime<Utc>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// An access token for `cfg`, from the cache or refreshed now. IMAP and SMTP share it.
pub async fn access_token(cfg: &OAuth2, now: DateTime<Utc>) -> Result<Secret> {
    let key = (cfg.token_url.clone(), cfg.client_id.clone());
    if let Some((token, expires)) = cache().lock().unwrap().get(&key) {
        if is_fresh(*expires, now) {
            return Ok(token.clone());
        }
    }
    let owned = cfg.clone();
    let (token, lifetime) = tokio::task::spawn_blocking(move || refresh(&owned))
        .await
        .context("token refresh task failed")??;
    cache()
        .lock()
        .unwrap()
        .insert(key, (token.clone(), now + lifetime));
    Ok(token)
}

/// Drops the cached token, e.g. after the server refused it.
pub fn forget(cfg: &OAuth2) {
    cache()
        .lock()
        .unwrap()
        .remove(&(cfg.token_url.clone(), cfg.client_id.clone()));
}

/// One refresh request (blocking). Errors name the endpoint and the server's reason, never
/// a secret.
fn refresh(cfg: &OAuth2) -> Result<(Secret, Duration)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(HTTP_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&cfg.token_url)
        .send_form([
            ("grant_type", "refresh_token"),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.read()?.expose()),
            ("refresh_token", cfg.refresh_token.read()?.expose()),
        ])
        .map_err(|e| {
            anyhow!(
                "cannot reach the OAuth token endpoint {}: {e}",
                cfg.token_url
            )
        })?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .map_err(|e| anyhow!("cannot read the answer of {}: {e}", cfg.token_url))?;
    let body: TokenResponse = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "the OAuth token endpoint {} answered {status} without a JSON token: {e}",
            cfg.token_url
        )
    })?;
    match body {
        TokenResponse {
            access_token: Some(token),
            expires_in,
            ..
        } if status.is_success() && !token.is_empty() => Ok((
            Secret::new(token),
            Duration::seconds(expires_in.unwrap_or(3600).max(1)),
        )),
        TokenResponse {
            error,
            error_description,
            ..
        } => Err(anyhow!(
            "the OAuth token endpoint {} refused the refresh token ({status}, {}{}); \
             if it was revoked or expired, create a new one and update oauth2.refresh_token",
            cfg.token_url,
            error.as_deref().unwrap_or("no error code"),
            error_description
                .map(|d| format!(": {d}"))
                .unwrap_or_default(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::Authenticator;
    use chrono::TimeZone;

    #[test]
    fn the_initial_response_has_google_s_shape() {
        // developers.google.com/gmail/imap/xoauth2-protocol, before base64.
        assert_eq!(
            xoauth2_response("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
            "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
        );
    }

    #[test]
    fn the_authenticator_answers_once_then_ends_an_error_challenge() {
        let mut a = XOAuth2Authenticator::new("u@example.com", &Secret::new("tok".into()));
        assert_eq!(
            a.process(b""),
            "user=u@example.com\x01auth=Bearer tok\x01\x01"
        );
        // The server's error challenge is JSON; the client answers with an empty response.
        assert_eq!(a.process(br#"{"status":"400"}"#), "");
    }

    #[test]
    fn tokens_are_refreshed_five_minutes_before_they_expire() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        assert!(is_fresh(t + Duration::minutes(6), t));
        assert!(!is_fresh(t + Duration::minutes(5), t));
        assert!(!is_fresh(t - Duration::minutes(1), t));
    }
}
