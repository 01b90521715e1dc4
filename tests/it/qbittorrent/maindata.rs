//! `sync/maindata` with `rid`: the qbittorrent-api library follows the
//! answers' rids and gets only what changed; rid 0 and an unknown rid get a
//! full update.

use serde_json::json;

use super::*;

#[tokio::test]
async fn maindata_sends_only_changes_after_the_first_answer() {
    if !python_has("qbittorrentapi") {
        eprintln!("NOTICE: skipping: {PYTHON} lacks qbittorrentapi (bash .ci/run installs it)");
        return;
    }
    let sw = swarm().await;
    let (_, ih) = shared_movie(&sw, "Maindata.2020.mkv", 3, 300_000).await;
    let qbt = start_client(&sw, &[]);
    let torrent = sw.root.join("bob.torrent");
    std::fs::write(&torrent, member_torrent(&sw, &sw.bob.api_key, &ih).await).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qbt_maindata.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .args(["127.0.0.1", &qbt.port.to_string(), USER, PASSWORD])
        .arg(&torrent)
        .arg(&ih)
        .env("PYTHONPATH", pydeps())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\nclient log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        qbt.client.log_text()
    );
    let seen: serde_json::Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    eprintln!("maindata answers: {seen}");
    let keys = |step: &str| -> Vec<String> {
        let mut k: Vec<String> = seen[step].as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let first = &seen["first"];
    assert_eq!(first["full_update"], true);
    assert!(first["server_state"]["connection_status"].is_string());
    assert_eq!(
        keys("unchanged"),
        ["rid"],
        "nothing changed: {}",
        seen["unchanged"]
    );
    let rids: Vec<u64> = [
        "first",
        "unchanged",
        "category_and_tag",
        "torrent_added",
        "torrent_tagged",
        "all_removed",
        "unknown_rid",
    ]
    .iter()
    .map(|s| seen[s]["rid"].as_u64().unwrap())
    .collect();
    assert!(rids.windows(2).all(|w| w[1] > w[0]), "{rids:?}");

    let c = &seen["category_and_tag"];
    assert_eq!(c.get("full_update"), None);
    assert_eq!(c["categories"]["sonarr"]["name"], "sonarr");
    assert_eq!(c["tags"], json!(["keep"]));
    assert_eq!(c.get("torrents"), None);

    let added = &seen["torrent_added"]["torrents"][&ih];
    assert_eq!(added["state"], "stoppedDL", "a new torrent whole: {added}");
    assert_eq!(added["category"], "sonarr");
    assert!(added["save_path"].is_string());

    let tagged = &seen["torrent_tagged"]["torrents"][&ih];
    assert_eq!(tagged["tags"], "keep");
    assert_eq!(
        tagged.get("save_path"),
        None,
        "changed fields only: {tagged}"
    );

    let gone = &seen["all_removed"];
    assert_eq!(gone["torrents_removed"], json!([ih]));
    assert_eq!(gone["categories_removed"], json!(["sonarr"]));
    assert_eq!(gone["tags_removed"], json!(["keep"]));

    let full = &seen["unknown_rid"];
    assert_eq!(full["full_update"], true);
    assert!(full["torrents"].as_object().unwrap().is_empty());
}
