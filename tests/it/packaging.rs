//! The image, compose files, Unraid templates and systemd units only set settings the binary
//! knows: every env name they set appears in `--help` of that role (the image
//! cannot be built here, so this is what keeps them true).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::harness::bin;

/// Names the image's entrypoint reads itself (linuxserver.io conventions).
const ENTRYPOINT_NAMES: [&str; 4] = ["PUID", "PGID", "UMASK", "TZ"];

fn repo(p: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(p);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Env names a role's `--help` documents (`[env: NAME=…]` or `[env: NAME]`).
fn help_env(args: &[&str]) -> BTreeSet<String> {
    let out = Command::new(bin())
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap().to_string())
        .collect()
}

/// Keys of every `environment:` block of a compose file, commented-out examples included.
fn compose_env(yaml: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut block: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        if body == "environment:" {
            block = Some(indent);
            continue;
        }
        let Some(at) = block else { continue };
        if body.is_empty() {
            continue;
        }
        if indent <= at && !body.starts_with('#') {
            block = None;
            continue;
        }
        let key = body.trim_start_matches('#').trim_start();
        if let Some((k, _)) = key.split_once(':') {
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                names.insert(k.to_string());
            }
        }
    }
    names
}

/// `ENV A=1 B=2 \` lines of a Dockerfile.
fn dockerfile_env(text: &str) -> BTreeSet<String> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|l| l.trim().strip_prefix("ENV "))
        .flat_map(|rest| rest.split_whitespace())
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()))
        .collect()
}

/// `Environment=NAME=value` lines of a systemd unit.
fn systemd_env(unit: &str) -> BTreeSet<String> {
    unit.lines()
        .filter_map(|l| l.trim().strip_prefix("Environment="))
        .flat_map(|rest| rest.split_whitespace())
        .filter_map(|kv| {
            kv.trim_matches('"')
                .split_once('=')
                .map(|(k, _)| k.to_string())
        })
        .collect()
}

/// `Target` of every `Type="Variable"` entry of an Unraid template.
fn unraid_env(xml: &str) -> BTreeSet<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("Config") && n.attribute("Type") == Some("Variable"))
        .map(|n| n.attribute("Target").unwrap().to_string())
        .collect()
}

fn assert_known(what: &str, names: &BTreeSet<String>, known: &BTreeSet<String>) {
    assert!(!names.is_empty(), "{what}: no env names found");
    let unknown: Vec<_> = names
        .iter()
        .filter(|n| !known.contains(*n) && !ENTRYPOINT_NAMES.contains(&n.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what} sets names no --help knows: {unknown:?}"
    );
}

#[test]
fn packaging_sets_only_settings_the_binary_knows() {
    let health = help_env(&["healthcheck"]);
    let mut server = help_env(&["server"]);
    server.extend(health.iter().cloned());
    let mut client = help_env(&["client"]);
    client.extend(health.iter().cloned());
    assert!(server.contains("EXTERNAL_SERVER_URL") && server.contains("HEALTHCHECK_URL"));
    assert!(client.contains("INDEXER_API_URL") && client.contains("PATH_MAPPINGS"));
    let both: BTreeSet<String> = server.union(&client).cloned().collect();

    let entrypoint = repo("docker/entrypoint.sh");
    for n in ENTRYPOINT_NAMES.iter().filter(|n| **n != "TZ") {
        assert!(
            entrypoint.contains(&format!("${{{n}")),
            "entrypoint.sh ignores {n}"
        );
    }
    let dockerfile = repo("docker/Dockerfile");
    assert!(
        dockerfile.contains("tzdata"),
        "TZ needs tzdata in the image"
    );
    assert!(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("\"healthcheck\""));
    assert_known("docker/Dockerfile", &dockerfile_env(&dockerfile), &both);
    assert_known(
        "docker/compose.server.yml",
        &compose_env(&repo("docker/compose.server.yml")),
        &server,
    );
    assert_known(
        "docker/compose.client.yml",
        &compose_env(&repo("docker/compose.client.yml")),
        &client,
    );
    assert_known(
        "packaging/unraid/privateindexer-server.xml",
        &unraid_env(&repo("packaging/unraid/privateindexer-server.xml")),
        &server,
    );
    assert_known(
        "packaging/unraid/privateindexer-client.xml",
        &unraid_env(&repo("packaging/unraid/privateindexer-client.xml")),
        &client,
    );
    for (unit, known) in [("server", &server), ("client", &client)] {
        let path = format!("packaging/systemd/privateindexer-{unit}.service");
        assert_known(&path, &systemd_env(&repo(&path)), known);
    }
}

#[test]
fn the_parsers_find_what_is_written() {
    let yaml = "services:\n  a:\n    environment:\n      FOO_BAR: \"1\"\n      # BAZ: x\n    volumes:\n      - NOT_ENV: 1\n";
    assert_eq!(
        compose_env(yaml),
        BTreeSet::from(["FOO_BAR".to_string(), "BAZ".to_string()])
    );
    assert_eq!(
        dockerfile_env("ENV A=1 \\\n    B=2\nRUN x=3\n"),
        BTreeSet::from(["A".to_string(), "B".to_string()])
    );
    assert_eq!(
        systemd_env("[Service]\nEnvironment=A=1 \"B=2\"\nEnvironmentFile=-/x.env\n"),
        BTreeSet::from(["A".to_string(), "B".to_string()])
    );
}

#[test]
fn healthcheck_exits_zero_only_when_the_role_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::harness::Server::start_with(dir.path(), &[]);
    let ok = Command::new(bin())
        .args(["healthcheck", "--url", &format!("http://{}", server.addr)])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let port = crate::harness::free_port();
    let down = Command::new(bin())
        .args(["healthcheck", "--timeout", "2", "--url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(!down.status.success());
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(err.contains("did not answer"), "{err}");
}
