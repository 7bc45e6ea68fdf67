//! Compile-fail cases (one mistake per file, each with the exact message in its `.stderr`) and
//! pass cases for every function shape. Regenerate the `.stderr` files after an intended
//! message change with `TRYBUILD=overwrite cargo test --test ui`, then review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/retry/*.rs");
    cases.compile_fail("tests/ui/transient/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
