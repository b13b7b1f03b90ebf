//! Embeds the default texts (`templates/`) and the official holiday lists
//! (`config/libur-nasional-YYYY.toml`) into the binary, so `pengaduan --config
//! /etc/pengaduan.toml run` works from any folder with no files beside the config.
//! Files named in the config still override these (src/templates.rs, src/calendar.rs).
//! Generated: `$OUT_DIR/built_in_templates.rs` and `$OUT_DIR/built_in_holidays.rs`, each
//! one table of (name, include_str!(path)); `$OUT_DIR/built_in_samples.rs`, the demo's
//! sample mail (`samples/inbox/*.eml`) as (name, include_bytes!(path)).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // A directory here makes cargo rerun when any file below it changes or is added.
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=config");
    println!("cargo:rerun-if-changed=samples/inbox");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));

    let mut templates = Vec::new();
    collect(&root.join("templates"), "", &mut templates);
    templates.sort();

    let mut holidays: Vec<(String, PathBuf)> = std::fs::read_dir(root.join("config"))
        .expect("config/ is part of the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let year = name
                .strip_prefix("libur-nasional-")?
                .strip_suffix(".toml")?;
            (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())).then_some((name, p))
        })
        .collect();
    holidays.sort();

    let mut samples: Vec<(String, PathBuf)> = std::fs::read_dir(root.join("samples/inbox"))
        .expect("samples/inbox/ is part of the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| Some((p.file_name()?.to_str()?.to_string(), p)))
        .collect();
    samples.sort();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let mut out = String::from("&[\n");
    for (name, path) in &samples {
        let path = path.display().to_string();
        writeln!(out, "    ({name:?}, include_bytes!({path:?})),").expect("writing to a String");
    }
    out.push_str("]\n");
    std::fs::write(out_dir.join("built_in_samples.rs"), out).expect("OUT_DIR is writable");
    for (file, rows) in [
        ("built_in_templates.rs", &templates),
        ("built_in_holidays.rs", &holidays),
    ] {
        let mut out = String::from("&[\n");
        for (name, path) in rows {
            let path = path.display().to_string();
            writeln!(out, "    ({name:?}, include_str!({path:?})),").expect("writing to a String");
        }
        out.push_str("]\n");
        std::fs::write(out_dir.join(file), out).expect("OUT_DIR is writable");
    }
}

/// Every file below `dir`, named by its path relative to templates/ with `/` separators.
fn collect(dir: &Path, prefix: &str, into: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).expect("templates/ is part of the repository");
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            collect(&path, &format!("{rel}/"), into);
        } else {
            into.push((rel, path));
        }
    }
}
