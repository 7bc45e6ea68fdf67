//! The README's dependency lines and configuration example are what a reader copies first, and
//! `examples/resilient.toml` the file they start from: the dependency must name this version,
//! and each configuration must load as shown, without an error or a warning. The errors the
//! README shows must be the loader's, word for word.

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

/// The README's TOML blocks that configure resilient, as against the one that adds it to a crate.
fn configuration_blocks() -> Vec<String> {
    blocks("toml").into_iter().filter(|block| !block.starts_with("[dependencies]")).collect()
}

#[test]
fn the_readme_configuration_loads_without_warnings() {
    let examples = configuration_blocks();
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

#[test]
fn the_readme_depends_on_this_version() {
    let dependencies = blocks("toml").into_iter().find(|block| block.starts_with("[dependencies]"));
    let dependencies = dependencies.expect("the README shows the `[dependencies]` to add");
    // A `0.x` release is compatible only within its minor version, so the README names both.
    let version = env!("CARGO_PKG_VERSION");
    let major_minor = version.rsplit_once('.').map_or(version, |(major_minor, _patch)| major_minor);
    let wanted = format!("resilient = \"{major_minor}\"");
    assert!(
        dependencies.lines().any(|line| line.trim() == wanted),
        "the README's `[dependencies]` should say `{wanted}`:\n{dependencies}"
    );
}

/// The README's example errors are the loader's words: each comes out of a file whose line
/// of that number is the mistake the message names.
#[test]
fn the_readme_errors_are_what_the_loader_says() {
    let shown = blocks("text");
    let shown = shown.iter().find(|block| block.starts_with("resilient.toml:")).expect("the README shows errors");
    // The mistake of each line, in the README's order, under the table it is written in.
    let mistakes = [
        ("[policies.graph]", "max_attempts = 0"),
        ("[policies.graph]", "max_attempt = 5"),
        ("[policies.graph]", "initial_delay = \"10 sec\""),
        ("[defaults]", "backoff = fixed"),
    ];
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), mistakes.len(), "one mistake for each error shown:\n{shown}");
    for (line, (table, mistake)) in lines.iter().zip(mistakes) {
        let number: usize = line.split(':').nth(1).and_then(|n| n.parse().ok()).expect("a line number");
        // Comments down to the table, so that the mistake lands on the line shown.
        let file = format!("{}{table}\n{mistake}\n", "#\n".repeat(number - 2));
        let error = Registry::from_toml_str(&file).unwrap_err().to_string();
        assert_eq!(error.replacen("<string>", "resilient.toml", 1), *line);
    }
}
