//! The engine's files by layer. The bottom (what crosses the boundary:
//! `time`, `digits`, `message`, `io`) imports nothing above it; the parts
//! (`activity`, `holds`, `backoff`, `config`, `claims`, `heartbeat`,
//! `refresh`, `timeouts`) import each other without a cycle. Only `mod.rs`,
//! the orchestrator, holds them all, and the parts that extend `impl Engine`
//! name it (`super::Engine`): that is the struct they belong to, not a part.

use std::collections::{BTreeMap, BTreeSet};

const FILES: [(&str, &str); 12] = [
    ("activity", include_str!("../activity.rs")),
    ("backoff", include_str!("../backoff.rs")),
    ("claims", include_str!("../claims.rs")),
    ("config", include_str!("../config.rs")),
    ("digits", include_str!("../digits.rs")),
    ("heartbeat", include_str!("../heartbeat.rs")),
    ("holds", include_str!("../holds.rs")),
    ("io", include_str!("../io.rs")),
    ("message", include_str!("../message.rs")),
    ("refresh", include_str!("../refresh.rs")),
    ("time", include_str!("../time.rs")),
    ("timeouts", include_str!("../timeouts.rs")),
];

/// The engine's files each one names (`super::x`, `crate::core::x`), in its
/// own code (not in its `#[cfg(test)]` part).
fn imports() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    FILES
        .iter()
        .map(|(name, text)| {
            let code = text.split("#[cfg(test)]").next().unwrap_or(text);
            let named = FILES
                .iter()
                .map(|(other, _)| *other)
                .filter(|other| other != name)
                .filter(|other| {
                    [format!("super::{other}::"), format!("super::{other}::{{"), format!("crate::core::{other}::")]
                        .iter()
                        .any(|path| code.contains(path.as_str()))
                })
                .collect();
            (*name, named)
        })
        .collect()
}

#[test]
fn the_bottom_layer_imports_nothing_above_it() {
    let imports = imports();
    let allowed: [(&str, &[&str]); 4] =
        [("time", &[]), ("digits", &[]), ("message", &["digits", "time"]), ("io", &["message", "time"])];
    for (file, may) in allowed {
        let above: Vec<_> = imports[file].iter().filter(|f| !may.contains(f)).collect();
        assert!(above.is_empty(), "{file}.rs imports {above:?}, above the bottom layer");
    }
}

#[test]
fn the_engines_parts_import_each_other_without_a_cycle() {
    let imports = imports();
    // Depth-first, with the path so far: a file met again on it closes a cycle.
    fn visit<'a>(
        file: &'a str,
        imports: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|f| *f == file) {
            panic!("a cycle among the engine's files: {:?}", &path[at..]);
        }
        if !done.insert(file) {
            return;
        }
        path.push(file);
        for next in &imports[file] {
            visit(next, imports, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for (file, _) in FILES {
        visit(file, &imports, &mut Vec::new(), &mut done);
    }
    assert_eq!(done.len(), FILES.len());
}
