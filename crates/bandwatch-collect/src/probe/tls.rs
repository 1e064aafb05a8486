//! HTTPS GET over rustls with the ring provider and the webpki root certificates.
//!
//! With verification off, any certificate is accepted but the handshake signatures are still
//! checked, so the probe still proves the server holds the key it presented.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::tcp::{connect, request, HttpReply, HttpUrl};

/// Sends `GET` over TLS to `addr` (SNI and certificate name: `url.host`) and reads the status
/// line. `ttfb` counts from the start of the connect, handshake included, like plain HTTP.
/// Certificate failures read `certificate not trusted: …`.
pub fn https_get(
    url: &HttpUrl,
    addr: SocketAddr,
    verify: bool,
    timeout: Duration,
) -> io::Result<HttpReply> {
    let config = client_config(verify).map_err(|e| tls_io_error(&e))?;
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| tls_io_error(&e))?;
    let start = Instant::now();
    let mut tcp = connect(addr, timeout, start)?;
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    request(&mut tls, url, start).map_err(|e| explain(e, &url.host))
}

/// The two client configurations, built once per process.
fn client_config(verify: bool) -> Result<Arc<ClientConfig>, rustls::Error> {
    static VERIFYING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    static ACCEPTING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let cell = if verify { &VERIFYING } else { &ACCEPTING };
    if let Some(c) = cell.get() {
        return Ok(Arc::clone(c));
    }
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let config = if verify {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    };
    Ok(Arc::clone(cell.get_or_init(|| Arc::new(config))))
}

fn tls_io_error(e: &rustls::Error) -> io::Error {
    io::Error::other(format!("TLS setup failed: {e}"))
}

/// Rewrites rustls errors carried in an `io::Error` into a line that says what to do.
fn explain(e: io::Error, host: &str) -> io::Error {
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return e;
    };
    let text = match tls {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => format!(
            "certificate not trusted: {host} presented a certificate whose issuer is unknown \
             (self-signed?); turn TLS verification off for this target to accept it"
        ),
        rustls::Error::InvalidCertificate(c) => format!("certificate not trusted: {c}"),
        other => format!("TLS handshake with {host} failed: {other}"),
    };
    io::Error::new(e.kind(), text)
}

/// Accepts any certificate chain; still verifies handshake signatures with the provider's
/// algorithms.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
