//! `AgentCommand::parse` on arbitrary text: never panics, and every command it accepts
//! displays as a line that parses back to the same command.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reclamos::conversation::AgentCommand;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in [text.to_string(), format!(":{text}")] {
        match AgentCommand::parse(&line) {
            Ok(command) => {
                let shown = command.to_string();
                assert_eq!(
                    AgentCommand::parse(&shown).as_ref(),
                    Ok(&command),
                    "{line:?} -> {shown:?}"
                );
            }
            Err(err) => {
                // The error is shown to the executive: it must render.
                let shown = err.to_string();
                assert!(
                    !shown.chars().any(char::is_control),
                    "control character in {shown:?}"
                );
            }
        }
    }
});
