//! The PROXY protocol (v1 text and v2 binary, as HAProxy sends them), so that behind a
//! load balancer the per-address limits see each real client instead of the balancer.
//!
//! Only connections from a configured proxy address (`--proxy-from`) carry a header; from
//! anywhere else the first bytes are the client's own and are never interpreted. A
//! connection from a proxy must start with a valid header within the timeout or it is
//! closed. The header is read exactly (the v1 line byte by byte up to its CRLF, the v2
//! block by its length field), so the bytes after it stay in the socket for the
//! connection (or its TLS handshake). Parsing is `ppp`'s.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The v2 signature (12 bytes).
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The v1 prefix.
const V1_PREFIX: &[u8; 6] = b"PROXY ";
/// A v1 header is at most 107 bytes including its CRLF.
const V1_MAX: usize = 107;
/// The largest v2 header accepted (addresses plus TLVs); HAProxy's are far smaller.
const V2_MAX_PAYLOAD: usize = 2048;

/// The addresses whose connections carry a PROXY header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies(Vec<IpNet>);

impl Proxies {
    /// Trusts the given networks.
    pub fn new(networks: Vec<IpNet>) -> Proxies {
        Proxies(networks)
    }

    /// Whether a connection from `ip` must start with a PROXY header.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses `--proxy-from` values: a network (`10.0.0.0/8`, `fd00::/8`) or one address.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("expected an address or a network such as 10.0.0.0/8, got {text:?}"))
}

/// Why a connection from a proxy was closed.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// No header within the timeout.
    #[error("no PROXY header within {0:?}")]
    Timeout(Duration),
    /// The first bytes are not a PROXY header.
    #[error("the connection does not start with a PROXY header")]
    Missing,
    /// A header that `ppp` rejects.
    #[error("invalid PROXY header: {0}")]
    Invalid(String),
    /// The socket failed or closed early.
    #[error("reading the PROXY header: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the PROXY header at the start of `stream` (from a trusted proxy) within
/// `timeout` and returns the real client's address. A health check of the proxy itself (v2
/// `LOCAL`, v1 `UNKNOWN`) returns `peer`, the proxy's own address, as the protocol says.
pub async fn read_header<S: AsyncRead + Unpin>(
    stream: &mut S,
    peer: SocketAddr,
    timeout: Duration,
) -> Result<SocketAddr, ProxyError> {
    match tokio::time::timeout(timeout, read(stream, peer)).await {
        Ok(result) => result,
        Err(_) => Err(ProxyError::Timeout(timeout)),
    }
}

async fn read<S: AsyncRead + Unpin>(
    stream: &mut S,
    peer: SocketAddr,
) -> Result<SocketAddr, ProxyError> {
    // Both versions are longer than 8 bytes (the shortest v1 is "PROXY UNKNOWN\r\n").
    let mut header = vec![0u8; 8];
    stream.read_exact(&mut header).await?;
    if header.starts_with(V1_PREFIX) {
        while !header.ends_with(b"\r\n") {
            if header.len() >= V1_MAX {
                return Err(ProxyError::Invalid("v1 header without CRLF".into()));
            }
            header.push(stream.read_u8().await?);
        }
        parse_v1(&header, peer)
    } else if header[..] == V2_SIGNATURE[..8] {
        header.resize(16, 0);
        stream.read_exact(&mut header[8..]).await?;
        if header[..12] != V2_SIGNATURE[..] {
            return Err(ProxyError::Missing);
        }
        let length = usize::from(u16::from_be_bytes([header[14], header[15]]));
        if length > V2_MAX_PAYLOAD {
            return Err(ProxyError::Invalid(format!("v2 header of {length} bytes")));
        }
        header.resize(16 + length, 0);
        stream.read_exact(&mut header[16..]).await?;
        parse_v2(&header, peer)
    } else {
        Err(ProxyError::Missing)
    }
}

fn parse_v1(bytes: &[u8], peer: SocketAddr) -> Result<SocketAddr, ProxyError> {
    use ppp::v1::{Addresses, Header};
    let header = Header::try_from(bytes).map_err(|err| ProxyError::Invalid(err.to_string()))?;
    Ok(match header.addresses {
        Addresses::Tcp4(a) => SocketAddr::from((a.source_address, a.source_port)),
        Addresses::Tcp6(a) => SocketAddr::from((a.source_address, a.source_port)),
        Addresses::Unknown => peer,
    })
}

fn parse_v2(bytes: &[u8], peer: SocketAddr) -> Result<SocketAddr, ProxyError> {
    use ppp::v2::{Addresses, Command, Header};
    let header = Header::try_from(bytes).map_err(|err| ProxyError::Invalid(err.to_string()))?;
    if header.command == Command::Local {
        return Ok(peer);
    }
    match header.addresses {
        Addresses::IPv4(a) => Ok(SocketAddr::from((a.source_address, a.source_port))),
        Addresses::IPv6(a) => Ok(SocketAddr::from((a.source_address, a.source_port))),
        // A stream over a Unix socket or an unspecified family tells nothing about the
        // client: count it as the proxy's own.
        Addresses::Unspecified | Addresses::Unix(_) => Ok(peer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "10.0.0.9:40000";

    async fn parse(bytes: &[u8]) -> Result<(SocketAddr, Vec<u8>), ProxyError> {
        let mut input = bytes;
        let addr = read_header(&mut input, PEER.parse().unwrap(), Duration::from_secs(5)).await?;
        Ok((addr, input.to_vec()))
    }

    fn v2(addresses: ppp::v2::Addresses, command: ppp::v2::Command) -> Vec<u8> {
        use ppp::v2::{Builder, Protocol, Version};
        Builder::with_addresses(Version::Two | command, Protocol::Stream, addresses)
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn v1_headers_give_the_client_and_leave_the_rest() {
        let (addr, rest) = parse(b"PROXY TCP4 192.0.2.7 10.0.0.1 51000 5555\r\n12.345.678-5\n")
            .await
            .unwrap();
        assert_eq!(addr, "192.0.2.7:51000".parse().unwrap());
        assert_eq!(rest, b"12.345.678-5\n");
        let (addr, _) = parse(b"PROXY TCP6 2001:db8::7 2001:db8::1 51000 5555\r\n")
            .await
            .unwrap();
        assert_eq!(addr, "[2001:db8::7]:51000".parse().unwrap());
        let (addr, rest) = parse(b"PROXY UNKNOWN\r\nhola\n").await.unwrap();
        assert_eq!(addr, PEER.parse().unwrap());
        assert_eq!(rest, b"hola\n");
    }

    #[tokio::test]
    async fn v2_headers_give_the_client_and_leave_the_rest() {
        use ppp::v2::{Addresses, Command, IPv4};
        let client = IPv4::new([192, 0, 2, 7], [10, 0, 0, 1], 51000, 5555);
        let mut bytes = v2(Addresses::IPv4(client), Command::Proxy);
        bytes.extend_from_slice(b"hola\n");
        let (addr, rest) = parse(&bytes).await.unwrap();
        assert_eq!(addr, "192.0.2.7:51000".parse().unwrap());
        assert_eq!(rest, b"hola\n");
        let local = v2(Addresses::Unspecified, Command::Local);
        assert_eq!(parse(&local).await.unwrap().0, PEER.parse().unwrap());
    }

    #[tokio::test]
    async fn anything_else_is_rejected() {
        for bad in [
            &b"12.345.678-5\n"[..],
            b"PROXY TCP4 192.0.2.7\r\n",
            b"PROXY TCP4 not.an.ip 10.0.0.1 1 2\r\n",
            b"\r\n\r\n\0\r\nQUIX\n\x21\x11\0\0",
            &[b'P'; 200],
        ] {
            assert!(
                parse(bad).await.is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // A v1 line that never ends is cut at 107 bytes, not read forever.
        let mut long = b"PROXY TCP4 ".to_vec();
        long.extend(std::iter::repeat_n(b'1', 500));
        assert!(matches!(parse(&long).await, Err(ProxyError::Invalid(_))));
    }

    #[test]
    fn networks_and_addresses() {
        let proxies = Proxies::new(vec![
            parse_network("10.0.0.0/8").unwrap(),
            parse_network("127.0.0.3").unwrap(),
        ]);
        assert!(proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(proxies.contains("127.0.0.3".parse().unwrap()));
        assert!(proxies.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!proxies.contains("127.0.0.1".parse().unwrap()));
        assert!(parse_network("nope").is_err());
        assert!(Proxies::default().is_empty());
    }
}
