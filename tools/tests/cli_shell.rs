//! Shell completions, the man page and the progress bar.

use std::process::Command;

fn sysreplay(args: &[&str]) -> (Option<i32>, String, String) {
    sysreplay_testkit::cli!().run(args)
}

const SUBCOMMANDS: &[&str] = &[
    "bench",
    "info",
    "cat",
    "synth",
    "import",
    "export",
    "eval",
    "replay",
    "fields",
    "rules",
    "record",
    "completions",
    "man",
];

#[test]
fn completions_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let (c, out, e) = sysreplay(&["completions", shell]);
        assert_eq!(c, Some(0), "{e}");
        for s in SUBCOMMANDS {
            assert!(out.contains(s), "{shell} completion lacks {s}");
        }
    }
    // eval's options complete too
    let (_, out, _) = sysreplay(&["completions", "bash"]);
    assert!(out.contains("--filter") && out.contains("--drop-threshold"));
    let (c, _, _) = sysreplay(&["completions", "tcsh"]);
    assert_eq!(c, Some(2));
}

#[test]
fn man_pages() {
    let (c, out, e) = sysreplay(&["man"]);
    assert_eq!(c, Some(0), "{e}");
    assert!(
        out.contains(".TH sysreplay 1"),
        "{}",
        &out[..200.min(out.len())]
    );
    for s in SUBCOMMANDS {
        assert!(out.contains(s), "man page lacks {s}");
    }
    let (c, out, _) = sysreplay(&["man", "eval"]);
    assert_eq!(c, Some(0));
    assert!(
        out.contains(".TH sysreplay\\-eval 1") || out.contains(".TH sysreplay-eval 1"),
        "{}",
        &out[..300.min(out.len())]
    );
    assert!(
        out.contains("\\-\\-filter"),
        "eval's page documents --filter"
    );
    // the footer names the program and its version; the synopsis the
    // command as typed
    assert!(
        out.contains(&format!("\"sysreplay {}\"", env!("CARGO_PKG_VERSION"))),
        "{}",
        &out[..300.min(out.len())]
    );
    assert!(
        out.contains("\\fBsysreplay eval\\fR"),
        "{}",
        &out[..600.min(out.len())]
    );
    let (c, _, e) = sysreplay(&["man", "nosuch"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("eval"), "{e}");
    // a subcommand's own subcommands have pages too
    let (c, out, e) = sysreplay(&["man", "rules", "check"]);
    assert_eq!(c, Some(0), "{e}");
    assert!(
        out.contains(".TH sysreplay-rules-check 1"),
        "{}",
        &out[..300.min(out.len())]
    );
    assert!(
        out.contains("\\-\\-expanded"),
        "rules check's page documents --expanded"
    );
    let (c, _, e) = sysreplay(&["man", "rules", "chek"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("one of check"), "{e}");
}

#[test]
fn progress_bar_only_on_a_terminal_after_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.srt");
    let bin = env!("CARGO_BIN_EXE_sysreplay");
    let args = format!("{bin} synth -o {} --events 1500000", out.display());
    // Not a terminal: nothing but the summary on stderr.
    let o = Command::new("sh").arg("-c").arg(&args).output().unwrap();
    assert!(o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!e.contains("synth: ["), "{e}");
    assert!(e.contains("wrote "), "{e}");
    // A terminal (util-linux `script` gives one): the bar shows.
    if Command::new("script").arg("--version").output().is_err() {
        sysreplay_testkit::skip(
            "progress_bar_only_on_a_terminal_after_a_second",
            "no `script` (util-linux) to run under a terminal",
        );
        return;
    }
    let o = Command::new("script")
        .args(["-qec", &format!("{args} --force"), "/dev/null"])
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(tty.contains("synth: ["), "{tty}");
    assert!(tty.contains("/1,500,000"), "{tty}");
}
