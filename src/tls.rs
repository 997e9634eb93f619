//! TLS settings shared by the server and the clients: rustls with the pure-Rust `ring`
//! crypto provider, certificates and keys read from PEM files.
//!
//! The server wraps both ports in TLS when given a certificate chain and its key; the
//! clients trust either a given CA (or self-signed) certificate or the system's roots.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Reads every certificate of a PEM file; an empty file is an error.
pub(crate) fn load_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading certificates from {}", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "no PEM certificate (BEGIN CERTIFICATE) in {}",
        path.display()
    );
    Ok(certs)
}

/// The server's TLS configuration: the certificate chain in `cert` (leaf first) and its
/// private key in `key` (PKCS#8, PKCS#1 or SEC1 PEM). No client certificates.
pub(crate) fn server_config(cert: &Path, key_path: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let certs = load_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key_path)
        .with_context(|| format!("reading the private key from {}", key_path.display()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .with_context(|| {
            format!(
                "the key {} does not go with the certificate {}",
                key_path.display(),
                cert.display()
            )
        })?;
    Ok(Arc::new(config))
}

/// The clients' TLS configuration: trusts the certificates in `ca` when given (a private CA
/// or the server's self-signed certificate), else the system's root certificates.
pub(crate) fn client_config(ca: Option<&Path>) -> anyhow::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            for cert in load_certs(path)? {
                roots.add(cert).with_context(|| {
                    format!("confiando en un certificado de {}", path.display())
                })?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for err in &native.errors {
                tracing::debug!(cause = %err, "loading a system root certificate");
            }
            let (added, _ignored) = roots.add_parsable_certificates(native.certs);
            anyhow::ensure!(
                added > 0,
                "no hay certificados raíz de confianza en este sistema; use --tls-ca con el certificado de la CA del servidor"
            );
        }
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Parses the name the server's certificate must carry (a DNS name or an IP address).
pub(crate) fn server_name(name: &str) -> anyhow::Result<ServerName<'static>> {
    ServerName::try_from(name.to_string()).with_context(|| {
        format!("{name:?} no es un nombre de servidor TLS válido (nombre DNS o IP)")
    })
}
