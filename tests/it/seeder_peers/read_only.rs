//! libtorrent and aria2 download a movie and a season pack from a read-only
//! library; a restart seeds again with nothing hashed.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::harness::api_get;
use crate::harness::client::bytes_hashed;

/// A read-only bind mount of `src` (root with mount rights only); None with the reason.
struct RoMount(PathBuf);

impl RoMount {
    fn try_new(src: &Path, at: &Path) -> Result<RoMount, String> {
        std::fs::create_dir_all(at).unwrap();
        let run = |args: &[&str]| {
            Command::new("mount")
                .args(args)
                .output()
                .map_err(|e| e.to_string())
                .and_then(|o| {
                    o.status
                        .success()
                        .then_some(())
                        .ok_or_else(|| String::from_utf8_lossy(&o.stderr).trim().to_string())
                })
        };
        run(&["--bind", src.to_str().unwrap(), at.to_str().unwrap()])?;
        let m = RoMount(at.to_path_buf());
        run(&["-o", "remount,bind,ro", at.to_str().unwrap()])?;
        Ok(m)
    }
}

impl Drop for RoMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn chmod_read_only(root: &Path) {
    for (p, ..) in harness::snapshot(root) {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            }
        }
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn libtorrent_and_aria2_download_a_movie_and_a_season_pack_from_a_read_only_library() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    chmod_read_only(&s.media);
    let before = snapshot(&s.media);
    let ro_at = s.tmp.path().join("ro-media");
    let mount = match RoMount::try_new(&s.media, &ro_at) {
        Ok(m) => Some(m),
        Err(why) => {
            eprintln!(
                "NOTICE: no read-only bind mount here ({why}); the library is chmod a-w only"
            );
            None
        }
    };
    let library = if mount.is_some() {
        ro_at.clone()
    } else {
        s.media.clone()
    };
    let c = s.start_client(&library, &[]);
    s.wait_seeders(12, &c).await;
    c.wait_log("the reachability line", |l| {
        l.contains(&format!(
            "port {} is reachable from the server",
            s.seed_port
        ))
    });
    let me: serde_json::Value = api_get(&s.server, "/api/v1/me", &s.alice.api_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["reachable"]["reachable"], true, "{me}");

    let torrents = s.torrents().await;
    let movie = torrents
        .iter()
        .find(|t| !t.1 && t.0.ends_with(".mkv") && t.0.contains("(20"))
        .expect("a single-file movie");
    let pack = torrents.iter().find(|t| t.1).expect("a season pack");
    let mut expect_uploaded = 0u64;
    for (i, t) in [movie, pack].into_iter().enumerate() {
        let dir = s.tmp.path().join(format!("lt-{i}"));
        let r = libtorrent_leech(&t.2, &dir, 0);
        assert_eq!(r["failed_bytes"], 0, "{r}");
        assert_eq!(r["hash_fails"], 0, "{r}");
        let files = assert_same_bytes(&dir, &before);
        assert!(!t.1 || files > 1, "a pack has several files");
        let dir = s.tmp.path().join(format!("aria2-{i}"));
        aria2_leech(&t.2, &dir);
        assert_same_bytes(&dir, &before);
        expect_uploaded += 2 * harness::snapshot(&dir).iter().map(|f| f.1).sum::<u64>();
    }

    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("event=stopped sent for 12 of 12 torrent(s)"),
        "clean shutdown announces stopped for every torrent:\n{log}"
    );
    assert!(
        !log.contains(&s.alice.api_key),
        "the API key is never logged"
    );
    assert!(
        !log.contains(&s.alice.passkey),
        "the passkey is never logged"
    );
    assert_eq!(
        snapshot(&s.media),
        before,
        "media untouched (bytes, sizes, mtimes)"
    );
    {
        let db = privateindexer::client::queue::ClientDb::open_in(&s.client_dir).unwrap();
        let total: u64 = db.uploaded_totals().unwrap().values().sum();
        assert!(
            total >= expect_uploaded,
            "uploaded persisted: {total} < {expect_uploaded}"
        );
    }

    // A restart seeds again with nothing hashed: libtorrent downloads once more.
    let c = s.start_client(&library, &[]);
    c.wait_log("the seeder's library", |l| {
        l.matches("scan complete").count() >= 3 && l.contains("seeder library updated")
    });
    assert_eq!(bytes_hashed(&c.log_text()), 0, "{}", c.log_text());
    let dir = s.tmp.path().join("lt-again");
    let r = libtorrent_leech(&movie.2, &dir, 0);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_same_bytes(&dir, &before);
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert_eq!(
        snapshot(&s.media),
        before,
        "media untouched after the restart"
    );
    drop(mount);
}
