//! `sysreplay fields`: the list is what filters and outputs accept.

fn sysreplay(args: &[&str]) -> (Option<i32>, String, String) {
    sysreplay_testkit::cli!().run(args)
}

#[test]
fn every_field_with_a_value_works_in_a_p_format() {
    let (c, out, e) = sysreplay(&["fields", "--json", "--offline-only"]);
    assert_eq!(c, Some(0), "{e}");
    let names: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["arg"] == "" || v["arg"] == "[N]" || v["arg"] == "[NAME]")
        .map(|v| {
            assert_eq!(v["has_value_offline"], true);
            v["name"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(names.len() > 90, "{}", names.len());
    let fmt: String = names.iter().map(|n| format!("%{n} ")).collect();
    let sample = sysreplay_testkit::arg(sysreplay_testkit::sample_trace());
    let (c, out, e) = sysreplay(&["cat", &sample, "-n", "50", "-p", &fmt]);
    assert_eq!(c, Some(0), "{e}");
    assert_eq!(out.lines().count(), 50);
}

#[test]
fn the_text_list_marks_fields_without_a_value() {
    let (c, out, _) = sysreplay(&["fields"]);
    assert_eq!(c, Some(0));
    let line = |n: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(n))
            .unwrap_or_else(|| panic!("{n} listed"))
            .to_string()
    };
    assert!(line("proc.name").contains("string"));
    assert!(!line("proc.name").contains("no value offline"));
    assert!(line("k8s.pod.name").contains("no value offline"));
    let (c, out, _) = sysreplay(&["fields", "fd."]);
    assert_eq!(c, Some(0));
    assert!(out.lines().all(|l| l.starts_with("fd.")));
    let (c, _, e) = sysreplay(&["fields", "nosuch."]);
    assert_eq!(c, Some(2));
    assert!(e.contains("families"), "{e}");
}
