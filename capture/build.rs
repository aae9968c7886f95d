//! Builds the eBPF probe from C when clang-19 is installed (through
//! `bpf/build.sh`, the single place the compiler flags live), otherwise
//! embeds the committed `bpf/probe.bpf.o`. `SYSREPLAY_PROBE=committed` forces
//! the committed object; `SYSREPLAY_PROBE=rebuild` makes a missing clang-19 an
//! error.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let bpf = dir.join("bpf");
    for f in ["probe.bpf.c", "sr_kernel.h", "probe.bpf.o", "build.sh"] {
        println!("cargo:rerun-if-changed={}", bpf.join(f).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("../format/include/sysreplay_record.h").display()
    );
    println!("cargo:rerun-if-env-changed=SYSREPLAY_PROBE");
    let committed = bpf.join("probe.bpf.o");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("probe.bpf.o");
    let mode = env::var("SYSREPLAY_PROBE").unwrap_or_default();
    let can_build = have("clang-19") && have("llvm-strip-19");
    let source = if mode != "committed" && can_build {
        let st = Command::new("sh")
            .arg(bpf.join("build.sh"))
            .arg("-o")
            .arg(&out)
            .status()
            .expect("cannot run capture/bpf/build.sh");
        if !st.success() {
            panic!("building the eBPF probe failed (capture/bpf/build.sh); set SYSREPLAY_PROBE=committed to use the committed object");
        }
        let a = std::fs::read(&out).unwrap();
        let b = std::fs::read(&committed).unwrap_or_default();
        if a != b {
            println!("cargo:warning=capture/bpf/probe.bpf.o differs from a rebuild of probe.bpf.c: run capture/bpf/build.sh and commit the object");
        }
        "rebuilt"
    } else {
        if mode == "rebuild" {
            panic!("SYSREPLAY_PROBE=rebuild but clang-19/llvm-strip-19 are not installed");
        }
        std::fs::copy(&committed, &out).expect("capture/bpf/probe.bpf.o is missing");
        "committed"
    };
    println!("cargo:rustc-env=SR_PROBE_OBJ={}", out.display());
    println!("cargo:rustc-env=SR_PROBE_SOURCE={source}");
}
