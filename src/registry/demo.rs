//! Demo data: the customers and requests a new database starts with, and the synthetic
//! customers the load test creates (`reclamos server --demo-load-customers N`).
//!
//! The demo data is written once, when [`Registry::open`](super::Registry::open) creates the
//! database; later opens never add it again, so operators can edit or delete it freely.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{RegistryError, RequestId, RequestState};
use crate::rut::Rut;

/// Jorge Sandoval's RUT number (`12.345.678-5`), the main demo customer.
pub const JORGE_RUT_NUMBER: u32 = 12_345_678;
/// Jorge Sandoval's identity-card serial, the second factor for his WiFi key.
pub const JORGE_ID_SERIAL: &str = "100200300";
/// Jorge's closed request with a sensitive answer.
pub const WIFI_REQUEST: RequestId = 124_578;
/// The sensitive answer of [`WIFI_REQUEST`].
pub const WIFI_ANSWER: &str = "su nueva clave wifi es: estaesmiclave";
/// Jorge's open request.
pub const PLAN_REQUEST: RequestId = 123_499;
/// Claudio García's RUT number (`11.111.111-1`).
pub const CLAUDIO_RUT_NUMBER: u32 = 11_111_111;
/// The largest demo request number: the first request created on a new database gets the
/// next one (124579).
pub const MAX_DEMO_REQUEST: RequestId = WIFI_REQUEST;

/// Load-test customers have RUT numbers `LOAD_RUT_BASE + i` for `i` in `1..=count`.
pub const LOAD_RUT_BASE: u32 = 50_000_000;
/// At most this many load-test customers (the RUT number must stay below 100.000.000).
pub const MAX_LOAD_CUSTOMERS: usize = 49_999_999;

/// A demo customer and the requests the database starts with.
#[derive(Debug, Clone, Copy)]
pub struct DemoCustomer {
    /// RUT number without check digit.
    pub rut_number: u32,
    /// Full name.
    pub name: &'static str,
    /// Identity-card serial.
    pub id_serial: Option<&'static str>,
    /// Requests, in the order they were created.
    pub requests: &'static [DemoRequest],
}

impl DemoCustomer {
    /// The customer's RUT (every demo RUT number is in range; see the tests).
    pub fn rut(&self) -> Rut {
        Rut::from_number(self.rut_number).unwrap_or_else(|| unreachable!("demo RUT out of range"))
    }
}

/// A demo request.
#[derive(Debug, Clone, Copy)]
pub struct DemoRequest {
    /// Its number.
    pub id: RequestId,
    /// What it is about.
    pub subject: &'static str,
    /// Its state.
    pub state: RequestState,
    /// The answer, if any.
    pub answer: Option<&'static str>,
    /// Whether the answer needs the second factor.
    pub sensitive: bool,
    /// History `(RFC 3339 time, author, text)`, oldest first. The first entry's time is the
    /// creation time, the last one's the last update.
    pub history: &'static [(&'static str, &'static str, &'static str)],
}

const DEMO: &[DemoCustomer] = &[
    DemoCustomer {
        rut_number: JORGE_RUT_NUMBER,
        name: "Jorge Sandoval",
        id_serial: Some(JORGE_ID_SERIAL),
        requests: &[
            DemoRequest {
                id: WIFI_REQUEST,
                subject: "Cambio de clave WiFi",
                state: RequestState::Cerrado,
                answer: Some(WIFI_ANSWER),
                sensitive: true,
                history: &[
                    (
                        "2025-03-03T14:05:00-03:00",
                        "Asistente",
                        "Solicitud creada: el cliente pide cambiar la clave de su red WiFi",
                    ),
                    (
                        "2025-03-03T16:40:00-03:00",
                        "Paula Rojas",
                        "Clave WiFi cambiada en el módem; nueva clave registrada como respuesta",
                    ),
                    (
                        "2025-03-03T16:41:00-03:00",
                        "Paula Rojas",
                        "Estado cambiado a cerrado",
                    ),
                ],
            },
            DemoRequest {
                id: PLAN_REQUEST,
                subject: "Cambio de Plan",
                state: RequestState::Abierto,
                answer: None,
                sensitive: false,
                history: &[
                    (
                        "2025-04-14T10:12:00-04:00",
                        "Asistente",
                        "Solicitud creada: el cliente quiere pasar a un plan de fibra de 600 Mbps",
                    ),
                    (
                        "2025-04-15T09:30:00-04:00",
                        "Diego Soto",
                        "Propuesta del nuevo plan enviada al cliente; falta su confirmación",
                    ),
                ],
            },
        ],
    },
    DemoCustomer {
        rut_number: CLAUDIO_RUT_NUMBER,
        name: "Claudio García",
        id_serial: Some("200300400"),
        requests: &[
            DemoRequest {
                id: 120_455,
                subject: "Cobro duplicado en boleta",
                state: RequestState::Cerrado,
                answer: Some("Se emitió una nota de crédito por $15.990 en su próxima boleta"),
                sensitive: false,
                history: &[
                    (
                        "2025-01-20T12:30:00-03:00",
                        "Asistente",
                        "Solicitud creada: la boleta de enero trae dos veces el cargo mensual",
                    ),
                    (
                        "2025-01-22T15:10:00-03:00",
                        "Diego Soto",
                        "Cobro duplicado confirmado; nota de crédito emitida",
                    ),
                    (
                        "2025-01-22T15:11:00-03:00",
                        "Diego Soto",
                        "Estado cambiado a cerrado",
                    ),
                ],
            },
            DemoRequest {
                id: 121_877,
                subject: "Sin señal de TV",
                state: RequestState::Abierto,
                answer: None,
                sensitive: false,
                history: &[
                    (
                        "2025-05-02T19:20:00-04:00",
                        "Asistente",
                        "Solicitud creada: sin señal en todos los canales desde ayer",
                    ),
                    (
                        "2025-05-03T11:00:00-04:00",
                        "Paula Rojas",
                        "Visita técnica agendada para el 6 de mayo entre 9:00 y 13:00",
                    ),
                ],
            },
        ],
    },
    DemoCustomer {
        rut_number: 15_432_876,
        name: "María José Fuentes",
        id_serial: Some("300400500"),
        requests: &[DemoRequest {
            id: 122_964,
            subject: "Internet lento en las noches",
            state: RequestState::Abierto,
            answer: None,
            sensitive: false,
            history: &[(
                "2025-04-02T22:45:00-03:00",
                "Asistente",
                "Solicitud creada: la velocidad baja a menos de 5 Mbps después de las 21:00",
            )],
        }],
    },
    DemoCustomer {
        rut_number: 9_876_543,
        name: "Pedro Muñoz",
        id_serial: Some("400500600"),
        requests: &[DemoRequest {
            id: 118_230,
            subject: "Portabilidad de número móvil",
            state: RequestState::Cerrado,
            answer: Some("Portabilidad completada; su número ya funciona con nosotros"),
            sensitive: false,
            history: &[
                (
                    "2024-11-18T09:00:00-03:00",
                    "Asistente",
                    "Solicitud creada: el cliente quiere traer su número desde otra compañía",
                ),
                (
                    "2024-11-20T17:25:00-03:00",
                    "sistema",
                    "Estado cambiado a cerrado",
                ),
            ],
        }],
    },
    DemoCustomer {
        rut_number: 18_765_432,
        name: "Camila Rojas",
        id_serial: Some("500600700"),
        requests: &[],
    },
];

/// The demo customers a new database starts with.
pub fn demo_customers() -> &'static [DemoCustomer] {
    DEMO
}

/// The `i`-th load-test customer (`i` from 1): RUT number `50.000.000 + i`, name
/// `Cliente Carga {i}`, identity-card serial `9` followed by `i` in 8 digits. `None` when `i`
/// is 0 or above [`MAX_LOAD_CUSTOMERS`].
pub fn load_customer(i: usize) -> Option<super::Customer> {
    if i == 0 || i > MAX_LOAD_CUSTOMERS {
        return None;
    }
    let offset = u32::try_from(i).ok()?;
    Some(super::Customer {
        rut: Rut::from_number(LOAD_RUT_BASE.checked_add(offset)?)?,
        name: format!("Cliente Carga {i}"),
        id_serial: Some(format!("9{i:08}")),
    })
}

/// The subject of every load-test customer's request.
pub const LOAD_SUBJECT: &str = "Consulta de prueba de carga";

/// Writes the demo data (called once, inside the transaction that creates the schema).
pub(super) fn seed(conn: &Connection) -> Result<(), RegistryError> {
    for customer in DEMO {
        conn.prepare_cached("INSERT INTO customers (rut, name, id_serial) VALUES (?1, ?2, ?3)")?
            .execute(params![
                customer.rut().compact(),
                customer.name,
                customer.id_serial
            ])?;
        for request in customer.requests {
            let created = demo_time(request.history.first().map_or("", |h| h.0))?;
            let updated = demo_time(request.history.last().map_or("", |h| h.0))?;
            conn.prepare_cached(
                "INSERT INTO requests
                 (id, rut, subject, state, answer, sensitive, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                request.id,
                customer.rut().compact(),
                request.subject,
                request.state.to_string(),
                request.answer,
                request.sensitive,
                created,
                updated,
            ])?;
            for (at, author, text) in request.history {
                super::sqlite::insert_history(conn, request.id, demo_time(at)?, author, text)?;
            }
        }
    }
    Ok(())
}

/// Parses a demo timestamp into unix milliseconds. The demo's times are written as
/// Chile's office hours, with Chile's offset on each date (the chat shows them in the
/// desk's time zone, America/Santiago by default).
fn demo_time(text: &str) -> Result<i64, RegistryError> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    Ok(at.with_timezone(&Utc).timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_table_is_consistent() {
        let mut ids = std::collections::HashSet::new();
        let mut ruts = std::collections::HashSet::new();
        for customer in demo_customers() {
            assert!(
                Rut::from_number(customer.rut_number).is_some(),
                "{customer:?}"
            );
            assert!(
                ruts.insert(customer.rut_number),
                "duplicate RUT {customer:?}"
            );
            for request in customer.requests {
                assert!(ids.insert(request.id), "duplicate id {}", request.id);
                assert!(request.id <= MAX_DEMO_REQUEST);
                assert!(!request.history.is_empty(), "{}", request.id);
                for (at, _, _) in request.history {
                    demo_time(at).unwrap_or_else(|e| panic!("{at}: {e}"));
                }
                assert!(!request.sensitive || request.answer.is_some());
            }
        }
        assert!(demo_customers().iter().any(|c| c.requests.is_empty()));
    }

    #[test]
    fn demo_ruts_display_as_documented() {
        let shown: Vec<String> = demo_customers()
            .iter()
            .map(|c| c.rut().to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "12.345.678-5",
                "11.111.111-1",
                "15.432.876-9",
                "9.876.543-3",
                "18.765.432-7"
            ]
        );
    }

    #[test]
    fn load_customers_are_valid_and_bounded() {
        let first = load_customer(1).unwrap();
        assert_eq!(first.rut.to_string(), "50.000.001-5");
        assert_eq!(first.name, "Cliente Carga 1");
        assert_eq!(first.id_serial.as_deref(), Some("900000001"));
        assert_eq!(
            load_customer(MAX_LOAD_CUSTOMERS).unwrap().rut.number(),
            99_999_999
        );
        assert!(load_customer(0).is_none());
        assert!(load_customer(MAX_LOAD_CUSTOMERS + 1).is_none());
    }
}
