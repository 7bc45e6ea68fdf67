//! The README's configuration example is what a reader copies first, and
//! `examples/resilient.toml` the file they start from: each must load as shown, without an
//! error or a warning.

use resilient::Registry;

/// The contents of each fenced block of `language` in the README, without its indentation.
fn blocks(language: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in readme.lines() {
        let indent = line.len() - line.trim_start().len();
        match (&mut current, line.trim()) {
            (None, fence) if fence == format!("```{language}") => current = Some((indent, String::new())),
            (Some(_), "```") => found.push(current.take().unwrap().1),
            (Some((indent, text)), _) => {
                text.push_str(line.get(*indent..).unwrap_or(""));
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    found
}

#[test]
fn the_readme_configuration_loads_without_warnings() {
    let examples = blocks("toml");
    assert_eq!(examples.len(), 1, "the README has one configuration example");
    let registry = Registry::from_toml_str(&examples[0]).unwrap_or_else(|error| panic!("{error}"));
    assert!(registry.warnings().is_empty(), "{:?}", registry.warnings());
    let graph = registry.resolve("graph");
    assert_eq!((graph.max_attempts(), graph.max_elapsed()), (Some(6), Some(std::time::Duration::from_secs(120))));
    assert!(registry.circuit_breaker("graph").is_some());
}

#[test]
fn the_example_configuration_file_loads_without_warnings() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/resilient.toml");
    let registry = Registry::from_path(path).unwrap_or_else(|error| panic!("{error}"));
    assert!(registry.warnings().is_empty(), "{:?}", registry.warnings());
    assert!(registry.names().count() > 0, "it defines policies");
}
