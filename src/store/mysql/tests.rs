//! The adapter against a real MariaDB/MySQL server: `MYSQL_TEST_URL`
//! (`mysql://root@127.0.0.1:3306`, a user allowed to create databases); each
//! test gets a fresh database of its own. Unset, the tests say so and pass
//! (`.ci/run` starts a private mariadbd and sets it).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use sqlx::Executor;

use super::{wait_on, MySqlStore};
use crate::store::{transfer, RedbStore, Store, StoreConfig, StoreError, StoreUrl};

static N: AtomicU32 = AtomicU32::new(0);

/// Runs `sql` on the test server (no database selected).
fn admin(server: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = <sqlx::MySqlConnection as sqlx::Connection>::connect(server)
            .await
            .expect("MYSQL_TEST_URL reachable");
        conn.execute(sql).await.unwrap();
    });
}

/// A new empty database on the test server, or None (with the reason printed).
pub fn fresh_database(what: &str) -> Option<StoreUrl> {
    let Ok(server) = std::env::var("MYSQL_TEST_URL") else {
        eprintln!("skipped: MYSQL_TEST_URL is unset (e.g. mysql://root@127.0.0.1:3306)");
        return None;
    };
    let server = server.trim_end_matches('/').to_string();
    let db = format!(
        "pi_{what}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    admin(&server, &format!("DROP DATABASE IF EXISTS {db}"));
    admin(&server, &format!("CREATE DATABASE {db}"));
    match StoreConfig::parse(&format!("{server}/{db}"), Path::new(".")).unwrap() {
        StoreConfig::Mysql(url) => Some(url),
        StoreConfig::Redb { .. } => unreachable!(),
    }
}

#[test]
fn mariadb_conforms() {
    if fresh_database("probe").is_none() {
        return;
    }
    crate::store::conformance::check(&|_dir| {
        let url = fresh_database("conf").unwrap();
        Arc::new(MySqlStore::open(&url).unwrap()) as Arc<dyn Store>
    });
}

#[test]
fn a_schema_newer_than_the_binary_is_refused_with_one_line() {
    let Some(url) = fresh_database("newer") else {
        return;
    };
    drop(MySqlStore::open(&url).unwrap());
    let next = super::schema::VERSION + 1;
    admin(
        url.secret().as_str(),
        &format!("INSERT INTO schema_version (version, applied) VALUES ({next}, 0)"),
    );
    let err = MySqlStore::open(&url).err().expect("refused");
    assert!(
        matches!(err, StoreError::SchemaNewer { found, .. } if found == next),
        "{err}"
    );
    let line = err.to_string();
    assert!(
        line.contains(&format!("version {next}")) && !line.contains('\n'),
        "{line}"
    );
    // The older schema reopens as it was: migrations are recorded once.
    admin(
        url.secret().as_str(),
        &format!("DELETE FROM schema_version WHERE version = {next}"),
    );
    MySqlStore::open(&url).unwrap();
}

#[test]
fn passwords_stay_out_of_errors() {
    let Some(url) = fresh_database("pw") else {
        return;
    };
    // A wrong password for a real user, and a port nothing listens on.
    let mut wrong = url.secret().clone();
    wrong.set_username("pi_nobody").unwrap();
    wrong.set_password(Some("Sekr1tPassw0rd")).unwrap();
    let mut closed = wrong.clone();
    closed.set_port(Some(1)).unwrap();
    for u in [wrong, closed] {
        let config = StoreConfig::parse(u.as_str(), Path::new(".")).unwrap();
        let err = crate::store::open(&config).err().expect("refused");
        let mut text = format!("{err} {err:?} {config} {config:?}");
        let mut cause = std::error::Error::source(&err);
        while let Some(c) = cause {
            text.push_str(&format!(" {c} {c:?}"));
            cause = c.source();
        }
        assert!(!text.contains("Sekr1t"), "{text}");
        assert!(text.contains("pi_nobody:***@"), "{text}");
    }
}

#[test]
fn migrations_both_ways_keep_every_record() {
    let Some(url) = fresh_database("migrate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbStore::open_dir(&dir.path().join("a")).unwrap();
    crate::store::conformance::fill(&redb);
    let mysql = MySqlStore::open(&url).unwrap();
    assert!(transfer::is_empty(&mysql).unwrap());
    let from_redb = transfer::copy(&redb, &mysql).unwrap();
    assert!(from_redb.users > 0 && from_redb.torrents > 0 && from_redb.settings > 0);
    assert_eq!(transfer::summarize(&mysql).unwrap(), from_redb);
    // Ids go on after the copied ones.
    let next = mysql.create_user("new", [200; 32], [201; 32], 0).unwrap();
    assert!(
        redb.users().unwrap().iter().all(|u| u.id < next.id),
        "{next:?}"
    );
    mysql.delete_user(next.id).unwrap();
    let back = RedbStore::open_dir(&dir.path().join("b")).unwrap();
    let from_mysql = transfer::copy(&mysql, &back).unwrap();
    assert_eq!(transfer::summarize(&back).unwrap(), from_mysql);
    assert_eq!(from_mysql.users, from_redb.users);
    assert_eq!(from_mysql.torrents, from_redb.torrents);
    // `clear` (migrate --force) empties it.
    mysql.clear().unwrap();
    assert!(transfer::is_empty(&mysql).unwrap());
}

#[test]
fn a_down_server_is_unavailable_quickly_not_an_internal_error() {
    let Some(url) = fresh_database("down") else {
        return;
    };
    let store = MySqlStore::open(&url).unwrap();
    let alice = store.create_user("alice", [1; 32], [2; 32], 0).unwrap();
    assert!(store.user_by_api_key(&[1; 32]).unwrap().is_some());
    // The pool closed is what a database gone away looks like to a call.
    let pool = store.pool.clone();
    wait_on(&store.runtime, async move {
        pool.close().await;
        Ok(())
    })
    .unwrap();
    let err = store.set_user_enabled(alice.id, false).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    // Reads this instance made are answered from what it last saw.
    assert_eq!(
        store.user_by_api_key(&[1; 32]).unwrap().unwrap().id,
        alice.id
    );
    assert!(matches!(
        store.user_by_api_key(&[9; 32]),
        Err(StoreError::Unavailable(_))
    ));
}
