//! Output files of `synth`, `import` and `export` (no root needed; the
//! recorder's `-w` and `--stats-json` are in tools/tests/record.rs): never
//! through a symlink, never into a non-regular file, mode 0600 whatever the
//! umask, and `--force` renames a new file into place.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

fn run_with_umask(args: &[&str], umask: u32) -> Output {
    let mut c = sysreplay_testkit::cli!().command();
    c.args(args);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        c.pre_exec(move || {
            libc::umask(umask as libc::mode_t);
            Ok(())
        });
    }
    c.output().expect("run sysreplay")
}

fn run(args: &[&str]) -> Output {
    run_with_umask(args, 0o002)
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The three commands that write a file, each as "args with OUTPUT".
/// A command's arguments with its output path.
type ArgsFor = Box<dyn Fn(&Path) -> Vec<String>>;

fn writers(dir: &Path) -> Vec<(&'static str, ArgsFor)> {
    let trace = dir.join("in.srt");
    let o = run(&["synth", "-o", trace.to_str().unwrap(), "--events", "2000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let scap = dir.join("in.scap");
    let o = run(&[
        "export",
        trace.to_str().unwrap(),
        "-o",
        scap.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (t1, t2) = (trace.clone(), scap.clone());
    vec![
        (
            "synth",
            Box::new(move |out: &Path| {
                s(&["synth", "--events", "2000", "-o", out.to_str().unwrap()])
            }),
        ),
        (
            "export",
            Box::new(move |out: &Path| {
                s(&["export", t1.to_str().unwrap(), "-o", out.to_str().unwrap()])
            }),
        ),
        (
            "import",
            Box::new(move |out: &Path| {
                s(&["import", t2.to_str().unwrap(), "-o", out.to_str().unwrap()])
            }),
        ),
    ]
}

fn call(args: &[String], force: bool) -> Output {
    let mut a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    if force {
        a.push("--force");
    }
    run(&a)
}

#[test]
fn outputs_are_0600_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in writers(dir.path()) {
        for umask in [0o000, 0o022, 0o277] {
            let out: PathBuf = dir.path().join(format!("{name}-{umask:o}.out"));
            let a: Vec<String> = args(&out);
            let o = run_with_umask(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>(), umask);
            assert!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(mode(&out), 0o600, "{name} with umask {umask:o}");
        }
    }
}

#[test]
fn a_planted_symlink_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (name, args) in writers(dir.path()) {
        for force in [false, true] {
            let link = dir.path().join(format!("{name}-{force}.link"));
            symlink(&victim, &link).unwrap();
            let o = call(&args(&link), force);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                !o.status.success(),
                "{name} force={force} wrote through a symlink"
            );
            assert!(err.contains("symbolic link"), "{name} force={force}: {err}");
            assert_eq!(
                std::fs::read(&victim).unwrap(),
                b"precious",
                "{name} force={force}"
            );
            assert_eq!(mode(&victim), 0o644, "{name} force={force}");
            assert!(std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink());

            // a dangling link: nothing created where it points
            let nowhere = dir.path().join(format!("{name}-{force}.nowhere"));
            let dangling = dir.path().join(format!("{name}-{force}.dangling"));
            symlink(&nowhere, &dangling).unwrap();
            let o = call(&args(&dangling), force);
            assert!(
                !o.status.success(),
                "{name} force={force} followed a dangling symlink"
            );
            assert!(
                !nowhere.exists(),
                "{name} force={force} created the link's target"
            );
        }
    }
}

#[test]
fn force_replaces_by_rename_without_cutting_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in writers(dir.path()) {
        let out = dir.path().join(format!("{name}.out"));
        std::fs::write(&out, b"old contents").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut reader = std::fs::File::open(&out).unwrap();
        let o = call(&args(&out), false);
        assert!(!o.status.success(), "{name} overwrote without --force");
        assert_eq!(std::fs::read(&out).unwrap(), b"old contents");
        let o = call(&args(&out), true);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(mode(&out), 0o600, "{name}");
        assert!(std::fs::metadata(&out).unwrap().len() > 12);
        let mut old = String::new();
        std::io::Read::read_to_string(&mut reader, &mut old).unwrap();
        assert_eq!(old, "old contents", "{name}: the old file's reader was cut");
    }
    // no temporary files left beside the outputs
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        assert!(!n.ends_with(".tmp"), "left behind: {n}");
    }
}
