//! Mis-wired nets must not compile, and the error must say why in plain
//! words. Each case in `ui/` has its expected compiler output next to it;
//! `TRYBUILD=overwrite cargo test -p typenet-compile-fail` rewrites them
//! after a deliberate change (review the diff before committing it).

#[test]
fn mis_wired_nets_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
