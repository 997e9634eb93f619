//! What the terminal clients themselves say to the person at the keyboard (their prompts,
//! notices and errors), in Spanish like the chat, defined once so the tests use them too.
//! The server's sentences are in [`crate::protocol`]; these are the clients' own.

use std::fmt::Display;

/// The interactive prompt before what the user types.
pub const PROMPT: &str = "Yo: ";
/// Asks an executive for a name when `--name` and `$USER` give none.
pub const ASK_NAME: &str = "Nombre de ejecutivo (sin espacios): ";
/// The user ended the session (Ctrl-C or Ctrl-D at the prompt).
pub const SESSION_ENDED: &str = "(sesión terminada)";
/// Piped input ended; the server may still speak.
pub const INPUT_ENDED: &str = "(fin de su entrada; esperando al servidor, Ctrl-C para salir)";
/// The terminal failed while printing a server line.
pub const TERMINAL_FAILED: &str = "(error de terminal)";
/// The server closed the connection.
pub const SERVER_CLOSED: &str = "(el servidor cerró la conexión)";

/// The connection broke.
pub fn connection_lost(err: impl Display) -> String {
    format!("(conexión perdida: {err})")
}

/// Nothing listens at `host:port` (or the name does not resolve): the error's cause
/// follows.
pub fn could_not_connect(host: &str, port: u16) -> String {
    format!("no se pudo conectar a {host}:{port} (¿está corriendo `reclamos server`?)")
}

/// No executive name, and no terminal to ask for one.
pub const NO_NAME: &str = "falta el nombre de ejecutivo: use --name JuanPerez";
/// The terminal closed while asking for the name.
pub const NO_NAME_GIVEN: &str = "no se ingresó un nombre de ejecutivo";
/// `--token` or `$RECLAMOS_AGENT_TOKEN` is blank.
pub const EMPTY_TOKEN: &str = "el token entregado está vacío";
/// The server answered the token with [`crate::protocol::agent::TOKEN_INVALID`].
pub const TOKEN_REJECTED: &str =
    "el servidor rechazó el token (revise --token o el archivo de token)";
/// Marker: the start of [`no_token_file`].
pub const NO_TOKEN_FILE_START: &str = "no hay archivo de token en ";

/// No token given and no token file to read.
pub fn no_token_file(path: impl Display, env: &str) -> String {
    format!(
        "{NO_TOKEN_FILE_START}{path}: inicie primero el servidor en este equipo, o use \
         --token <T> (o defina {env})"
    )
}

/// The token file is blank.
pub fn empty_token_file(path: impl Display) -> String {
    format!("el archivo de token {path} está vacío")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_start_their_messages() {
        assert!(no_token_file("x", "Y").starts_with(NO_TOKEN_FILE_START));
    }
}
