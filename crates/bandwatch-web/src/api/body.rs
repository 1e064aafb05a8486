//! The JSON body of a state-changing request, as an extractor. It runs after the router has
//! matched the path and the method, so a wrong method is answered `405` before the body is
//! looked at. Every failure is the API's JSON error.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::Deserialize;

use crate::error::ApiError;

/// A body read as `T`: it must be sent as `application/json` (which a plain HTML form
/// cannot do, so a cross-site one needs a CORS preflight this server never grants); an
/// empty body reads as `T::default()`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: for<'de> Deserialize<'de> + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !json {
            return Err(ApiError::bad_request(
                "a POST must send a JSON body with 'Content-Type: application/json'",
            ));
        }
        let bytes = Bytes::from_request(req, state).await?;
        parse(&bytes).map(Self)
    }
}

/// `bytes` as `T`, or the default when there is nothing but whitespace.
fn parse<T: for<'de> Deserialize<'de> + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the JSON body is not valid: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        by: Option<String>,
    }

    #[test]
    fn empty_is_the_default_and_bad_json_says_so() {
        assert_eq!(parse::<Body>(b" \n"), Ok(Body::default()));
        assert_eq!(
            parse::<Body>(br#"{"by":"ann"}"#),
            Ok(Body {
                by: Some("ann".into())
            })
        );
        for bad in [&b"{"[..], br#"{"by":3}"#, br#"{"who":"x"}"#, b"\xff"] {
            let e = parse::<Body>(bad).expect_err("invalid");
            assert!(e.message.contains("JSON body is not valid"), "{e}");
        }
    }
}
