//! Request authentication: SigV4 against the key store, or accept-any-key mode.

use axum::http::{HeaderMap, Method, StatusCode};
use larch_sigv4::RequestParts;

use crate::error::ApiError;
use crate::state::{AppState, AuthMode};

/// Returns (account, region) of an authenticated request.
pub fn authenticate(
    app: &AppState,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, String), ApiError> {
    let parts = RequestParts { method, path, query, headers, body };
    let now = time::OffsetDateTime::now_utc();
    match &app.auth {
        AuthMode::AcceptAnyKey { account } => {
            let region = region_from_authorization(headers).unwrap_or_else(|| "us-east-1".to_string());
            Ok((account.clone(), region))
        }
        AuthMode::SigV4 => {
            let account = std::cell::RefCell::new(None);
            let verified = app
                .verifier
                .verify(&parts, now, |akid| {
                    let key = app.keys.lookup(akid)?;
                    *account.borrow_mut() = Some(key.account_id);
                    Some(key.secret_access_key)
                })
                .map_err(|e| {
                    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
                    ApiError::new(e.aws_error_code(), status, e.to_string())
                })?;
            let account = account.into_inner().ok_or_else(|| {
                ApiError::new(
                    "UnrecognizedClientException",
                    StatusCode::BAD_REQUEST,
                    "The security token included in the request is invalid.",
                )
            })?;
            Ok((account, verified.region))
        }
    }
}

/// Best-effort region from `Credential=AKID/DATE/REGION/...` (used without verification).
fn region_from_authorization(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    let region = scope.split('/').nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}
