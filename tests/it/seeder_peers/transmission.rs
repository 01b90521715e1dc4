//! transmission-cli as a leecher.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

/// transmission-cli 3.00 has no "exit when done": `-f` runs a script at
/// completion that ends it. `-et` (encryption tolerated, plaintext first):
/// the seeder speaks plaintext BEP 3 only, not MSE/PE.
fn transmission_leech(torrent: &Path, dir: &Path, config: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::create_dir_all(config).unwrap();
    // uTP off: transmission 3.00 dials every tracker peer over uTP first, and
    // with a plaintext-first handshake (`-et`) a uTP attempt that gets no
    // answer is never retried over TCP (it times out after 30 s and the peer
    // is marked unreachable). The seeder speaks TCP only.
    std::fs::write(config.join("settings.json"), r#"{"utp-enabled": false}"#).unwrap();
    let done = config.join("done.sh");
    std::fs::write(&done, "#!/bin/sh\nkill $PPID\n").unwrap();
    std::fs::set_permissions(&done, std::fs::Permissions::from_mode(0o755)).unwrap();
    let enc = std::env::var("TR_ENC").unwrap_or_else(|_| "-et".into());
    let mut child = Command::new("transmission-cli")
        .arg(enc)
        .args(["-M", "-D", "-U"])
        .arg("-g")
        .arg(config)
        .arg("-w")
        .arg(dir)
        .arg("-p")
        .arg(free_port().to_string())
        .arg("-f")
        .arg(&done)
        .arg(torrent)
        .stdout(std::fs::File::create(config.join("out")).unwrap())
        .stderr(std::fs::File::create(config.join("log")).unwrap())
        .spawn()
        .unwrap();
    // A hang guard, not a timing assertion: a stuck leecher fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let read = |f: &str| std::fs::read_to_string(config.join(f)).unwrap_or_default();
            let out = read("out");
            let tail: String = out
                .chars()
                .rev()
                .take(600)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(format!("{}\nstdout tail: {tail}", read("log")));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// This machine's own non-loopback IPv4 address (the source of its default
/// route; nothing is sent), or why there is none.
fn host_address() -> Result<std::net::Ipv4Addr, String> {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
    probe
        .connect("192.0.2.1:9")
        .or_else(|_| probe.connect("10.255.255.1:9"))
        .map_err(|e| format!("no route off loopback ({e})"))?;
    match probe.local_addr().map_err(|e| e.to_string())?.ip() {
        std::net::IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Ok(ip),
        other => Err(format!("the default route's source is {other}")),
    }
}

/// transmission-cli 3.00 drops every 127.x peer a tracker names (libtransmission
/// `tr_address_is_valid_for_peers` → `isMartianAddr`: `address[0] == 127`), so on
/// loopback it can never find the seeder. Here the server listens on the
/// machine's own interface address, so the seeder's and transmission's announces
/// come from it and the tracker names the seeder under it.
///
/// Two more things of transmission 3.00 that this test works around (found
/// with `TR_DEBUG_FD=2`, 2026-12-02): it dials uTP first (turned off in
/// [`transmission_leech`]), and it keys its peers by address alone, so the
/// server's reachability probe, which here comes from the seeder's own
/// address, is taken for the seeder: the probe's short connection counts as
/// the seeder's first failure and transmission dials it 10 s later.
#[tokio::test(flavor = "multi_thread")]
async fn transmission_downloads_a_movie_and_a_season_pack() {
    if !have("transmission-cli", &["--version"]) {
        eprintln!("NOTICE: skipping: needs transmission-cli (apt-get install transmission-cli)");
        return;
    }
    let host = match host_address() {
        Ok(ip) => ip,
        Err(why) => {
            eprintln!(
                "NOTICE: skipping transmission-cli: it ignores loopback peers and this machine \
                 has no other IPv4 address: {why}"
            );
            return;
        }
    };
    let s = swarm_on(host).await;
    let before = snapshot(&s.media);
    let c = s.start_client(&s.media, &[]);
    s.wait_seeders(12, &c).await;
    let torrents = s.torrents().await;
    let movie = torrents
        .iter()
        .find(|t| !t.1 && t.0.ends_with(".mkv") && t.0.contains("(20"))
        .expect("a single-file movie");
    let pack = torrents.iter().find(|t| t.1).expect("a season pack");
    for (i, t) in [movie, pack].into_iter().enumerate() {
        let dir = s.tmp.path().join(format!("tr-{i}"));
        let config = s.tmp.path().join(format!("tr-config-{i}"));
        if let Err(log) = transmission_leech(&t.2, &dir, &config) {
            panic!(
                "transmission-cli did not finish {}:\n{log}\nclient log:\n{}",
                t.0,
                c.log_text()
            );
        }
        let files = assert_same_bytes(&dir, &before);
        assert!(!t.1 || files > 1, "a pack has several files");
    }
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert_eq!(snapshot(&s.media), before, "media untouched");
}
