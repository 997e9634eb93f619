//! PostgreSQL migrations: several nodes starting at once on a new database, and a database
//! newer than the program.

use reclamos::registry::postgres::schema;
use reclamos::registry::RegistryError;

use super::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrators_create_one_set_of_tables_and_one_demo() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = db.url.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = super::connect(&url).await;
            schema::migrate(&mut client).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        if task.await.unwrap().expect("migration") {
            created += 1;
        }
    }
    assert_eq!(created, 1, "exactly one migrator creates the schema");
    let client = db.client().await;
    assert_eq!(schema::version(&client).await.unwrap(), schema::LATEST);
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()
             ORDER BY tablename",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        tables,
        [
            "changes",
            "consultations",
            "customers",
            "history",
            "nlu_inbox",
            "reclamos_schema",
            "requests",
            "serial_failures",
            "token_failures",
            "transcript"
        ]
    );
    let count = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    let demo = reclamos::registry::demo::demo_customers();
    assert_eq!(
        count("SELECT count(*) FROM customers").await,
        demo.len() as i64
    );
    assert_eq!(count("SELECT count(*) FROM reclamos_schema").await, 1);
    // A new request continues after the largest demo number, as in SQLite.
    let next: i64 = client
        .query_one(
            "INSERT INTO requests (rut, subject, state, created_at, updated_at)
             VALUES ('12345678-5', 'x', 'abierto', 0, 0) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(next as u64, reclamos::registry::demo::MAX_DEMO_REQUEST + 1);
    // Migrating again changes nothing.
    let mut again = db.client().await;
    assert!(!schema::migrate(&mut again).await.unwrap());
    assert_eq!(
        count("SELECT count(*) FROM customers").await,
        demo.len() as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_with_a_clear_message() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let mut client = db.client().await;
    schema::migrate(&mut client).await.unwrap();
    client
        .execute(
            "UPDATE reclamos_schema SET version = $1",
            &[&(schema::LATEST + 1)],
        )
        .await
        .unwrap();
    let err = schema::migrate(&mut client).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, RegistryError::Database(_))
            && text.contains("newer")
            && text.contains("upgrade reclamos"),
        "{text}"
    );
    assert_eq!(schema::version(&client).await.unwrap(), schema::LATEST + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_schema_is_refused_with_a_clear_message() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let url = super::with_search_path(
        db.url.split('?').next().unwrap(),
        &format!("{}_missing", db.schema),
    );
    let mut client = super::connect(&url).await;
    let err = schema::migrate(&mut client).await.unwrap_err();
    assert!(err.to_string().contains("search_path"), "{err}");
}
