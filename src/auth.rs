//! The executives' shared secret.
//!
//! Like Jupyter's token: on first start the server generates a random token and stores it
//! in a file only its owner can read; the agent client on the same machine reads the same
//! file, so nobody has to type it. Remote executives pass it with `--token` or
//! `RECLAMOS_AGENT_TOKEN`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::Rng;

/// Environment variable that overrides the token file's location.
pub const TOKEN_FILE_ENV: &str = "RECLAMOS_TOKEN_FILE";

/// Environment variable carrying the token itself (for remote executives).
pub const TOKEN_ENV: &str = "RECLAMOS_AGENT_TOKEN";

/// Where the token lives: `$RECLAMOS_TOKEN_FILE`, else
/// `$XDG_DATA_HOME/reclamos/agent.token` (`~/.local/share/reclamos/agent.token`).
pub fn default_token_path() -> PathBuf {
    if let Some(path) = std::env::var_os(TOKEN_FILE_ENV) {
        return PathBuf::from(path);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("reclamos").join("agent.token")
}

/// Reads the token at `path`, or creates it (owner-only permissions) when it does not exist.
/// An existing file that others may read or write (say, mode 0644 after a copy) is put back
/// to 0600 with a warning; when that fails (the file belongs to someone else) the server
/// refuses to start rather than use a secret others can read.
pub fn load_or_create_token(path: &Path) -> anyhow::Result<String> {
    match fs::read_to_string(path) {
        Ok(token) if !token.trim().is_empty() => {
            restrict_to_owner(path)?;
            return Ok(token.trim().to_string());
        }
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading token {}", path.display())),
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let token = generate_token();
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating token {}", path.display()))?;
    writeln!(file, "{token}").with_context(|| format!("writing token {}", path.display()))?;
    Ok(token)
}

/// Puts `path` back to mode 0600 when its group or others have any permission.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .with_context(|| format!("reading the permissions of token {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 == 0 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).with_context(|| {
        format!(
            "the executives' token {} has mode {:o}, which lets other users read it, and it \
             could not be changed to 0600; fix it with `chmod 600 {}` or remove the file",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })?;
    tracing::warn!(
        path = %path.display(),
        was = format!("{:o}", mode & 0o777),
        "the executives' token file was readable by others; its mode is now 0600"
    );
    Ok(())
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Reads an existing token file (the agent client's side).
pub fn read_token(path: &Path) -> anyhow::Result<String> {
    let token = fs::read_to_string(path).with_context(|| {
        format!(
            "reading the executives' token {} (start the server once on this machine, or pass --token)",
            path.display()
        )
    })?;
    Ok(token.trim().to_string())
}

/// 32 random bytes as hex.
pub fn generate_token() -> String {
    let bytes: [u8; 32] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares a presented secret with the expected one in time independent of where they
/// differ.
pub fn token_matches(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.trim().as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/agent.token");
        let first = load_or_create_token(&path).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(load_or_create_token(&path).unwrap(), first);
        assert_eq!(read_token(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_token_readable_by_others_is_forced_to_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        for wide in [0o644, 0o640, 0o604, 0o666, 0o660, 0o707] {
            let path = dir.path().join(format!("token-{wide:o}"));
            fs::write(&path, "secreto\n").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(wide)).unwrap();
            assert_eq!(load_or_create_token(&path).unwrap(), "secreto");
            assert_eq!(mode(&path), 0o600, "from {wide:o}");
        }
        // Already strict enough: left alone.
        let path = dir.path().join("token-400");
        fs::write(&path, "secreto\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(load_or_create_token(&path).unwrap(), "secreto");
        assert_eq!(mode(&path), 0o400);
    }

    #[test]
    fn comparison() {
        assert!(token_matches("abc", "abc"));
        assert!(token_matches("abc", " abc\n"));
        assert!(!token_matches("abc", "abd"));
        assert!(!token_matches("abc", "ab"));
        assert!(!token_matches("abc", ""));
    }
}
