//! Every setting is a flag and an environment variable of the same name
//! (`--path-mappings` ↔ `PATH_MAPPINGS`), read off each role's `--help`; old
//! flag spellings still work as hidden aliases; a bad value names its setting.

use std::process::{Command, Output};

use crate::harness::bin;

/// Flags that are not settings but say what one run does.
const PER_RUN: &[&str] = &["help", "version", "once", "json", "output", "name", "force"];

const ROLES: &[&str] = &["server", "client", "admin", "create", "healthcheck"];

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).env_clear().env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// (long flag, value placeholder, env name) of each option of a `--help` text.
fn options(help: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let mut out: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for line in help.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent <= 6 && t.starts_with('-') {
            let Some(at) = t.find("--") else { continue };
            let mut words = t[at + 2..].split_whitespace();
            let flag = words.next().unwrap().trim_end_matches(',').to_string();
            let value = words
                .next()
                .filter(|w| w.starts_with('<'))
                .map(|w| w.trim_matches(['<', '>', '.']).to_string());
            out.push((flag, value, None));
        } else if let (Some(at), Some(last)) = (t.find("[env: "), out.last_mut()) {
            let rest = &t[at + "[env: ".len()..];
            let end = rest.find(['=', ']']).unwrap();
            last.2 = Some(rest[..end].to_string());
        }
    }
    out
}

#[test]
fn every_flag_of_every_role_is_its_env_name() {
    let mut wrong = Vec::new();
    for role in ROLES {
        let out = run(&[role, "--help"], &[]);
        assert!(out.status.success(), "{role} --help");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        let opts = options(&help);
        assert!(opts.len() > 2, "{role}: no options read from\n{help}");
        for (flag, value, env) in opts {
            if PER_RUN.contains(&flag.as_str()) {
                continue;
            }
            let Some(env) = env else {
                wrong.push(format!("{role} --{flag}: no env var"));
                continue;
            };
            if flag != env.to_lowercase().replace('_', "-") {
                wrong.push(format!("{role} --{flag} has env {env}"));
            }
            if value.as_ref().is_some_and(|v| *v != env) {
                wrong.push(format!(
                    "{role} --{flag} <{}> has env {env}",
                    value.unwrap()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "flags and env names differ:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn old_flag_spellings_still_parse() {
    let cases: &[&[&str]] = &[
        &[
            "client",
            "--path-map",
            "/a=/b",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            "/nonexistent/x",
            "--source",
            "S",
        ],
        &[
            "healthcheck",
            "--url",
            "http://127.0.0.1:9",
            "--timeout",
            "1",
        ],
        &["admin", "--server", "http://127.0.0.1:9", "list-users"],
        &[
            "create",
            "--threads",
            "1",
            "--no-cache",
            "--announce",
            "http://t/a",
            "--source",
            "S",
            "/nonexistent/x",
        ],
    ];
    for args in cases {
        let out = run(args, &[("ADMIN_PASSWORD", "a long enough password")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} cannot succeed here");
        assert!(
            !err.contains("unexpected argument") && !err.contains("Usage:"),
            "{args:?}: {err}"
        );
    }
    let help = run(&["client", "--help"], &[]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--path-mappings <PATH_MAPPINGS>"));
    assert!(!help.contains("--path-map "), "old spellings stay hidden");
}

/// Arguments, environment, and the setting the error must name.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn a_bad_value_names_its_setting() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path().to_str().unwrap();
    let cases: &[Case] = &[
        (
            &["server"],
            &[("EXTERNAL_SERVER_URL", "not a url")],
            "EXTERNAL_SERVER_URL",
        ),
        (
            &["server"],
            &[("EXTERNAL_TRACKER_URL", "http://")],
            "EXTERNAL_TRACKER_URL",
        ),
        (&["server"], &[("URL_BASE", "/a b")], "URL_BASE"),
        (
            &["server"],
            &[("TRUSTED_PROXIES", "10.0.0.0/99")],
            "TRUSTED_PROXIES",
        ),
        (
            &["client"],
            &[("INDEXER_API_URL", "not a url"), ("API_KEY", "k")],
            "INDEXER_API_URL",
        ),
        (
            &["client"],
            &[
                ("INDEXER_API_URL", "http://127.0.0.1:9"),
                ("API_KEY", "k"),
                ("RADARR_URL", "http://127.0.0.1:9"),
                ("RADARR_API_KEY", "k"),
                ("CLIENT_BIND", "nowhere"),
            ],
            "CLIENT_BIND",
        ),
        (
            &["client"],
            &[
                ("INDEXER_API_URL", "http://127.0.0.1:9"),
                ("API_KEY", "k"),
                ("SONARR_URL", "sonarr:8989"),
                ("SONARR_API_KEY", "k"),
            ],
            "SONARR_URL",
        ),
        (
            &["admin", "list-users"],
            &[("ADMIN_SERVER_URL", "::nope")],
            "ADMIN_SERVER_URL",
        ),
        (
            &["healthcheck"],
            &[("HEALTHCHECK_TIMEOUT", "soon")],
            "HEALTHCHECK_TIMEOUT",
        ),
        (
            &["create", "/nonexistent"],
            &[("HASH_THREADS", "0")],
            "HASH_THREADS",
        ),
    ];
    for (args, env, needle) in cases {
        let mut env = env.to_vec();
        env.push(("DATA_DIR", data));
        env.push(("BIND", "127.0.0.1:0"));
        let out = run(args, &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {env:?} should fail");
        assert!(err.contains(needle), "{env:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
