//! The README's main command: the bundled sample replayed through the bundled
//! rules gives exactly these alerts (a regression test of the whole path:
//! format -> state engine -> rules -> output).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn bundled_sample_gives_the_expected_alerts() {
    let out = Command::new(env!("CARGO_BIN_EXE_sysreplay"))
        .current_dir(repo())
        .args([
            "eval",
            "corpora/samples/synth-100k.srt",
            "-r",
            "corpora/rules/sample_rules.yaml",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut shadow_users = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let rule = a["rule"].as_str().unwrap().to_string();
        assert_eq!(a["source"], "syscall");
        assert_eq!(a["hostname"], "synth-host");
        if rule == "Shadow file read by an unexpected program" {
            assert_eq!(a["priority"], "Warning");
            shadow_users.push((
                a["output_fields"]["user.name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                a["output_fields"]["proc.aname[2]"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
        if rule == "Outbound connection by a download tool" {
            // both ends: the connect's LOCAL_ADDR gives the client's own
            let name = a["output_fields"]["fd.name"].as_str().unwrap();
            let (local, remote) = name.split_once("->").unwrap();
            assert_eq!(remote, "10.0.0.20:8080", "{name}");
            let port: u16 = local.strip_prefix("10.0.0.5:").unwrap().parse().unwrap();
            assert!(port >= 32768, "{name}");
        }
        *per_rule.entry(rule).or_default() += 1;
    }
    let expect: BTreeMap<String, usize> = [
        ("Shadow file read by an unexpected program", 6),
        ("Shell started by cron", 24),
        ("Outbound connection by a download tool", 3),
        ("File written under /tmp", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(per_rule, expect);
    // Root's shell under `sudo -i` reads it; alice's attempts fail (EACCES)
    // and must not alert.
    assert!(
        shadow_users.iter().all(|(u, g)| u == "root" && g == "sudo"),
        "{shadow_users:?}"
    );
}
