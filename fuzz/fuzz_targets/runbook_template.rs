//! Runbook templates and expressions under their limits (fuel, nesting, output size).
#![no_main]

use incident::runbook::template::{environment, eval_bool, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let env = environment();
    let ctx = minijinja::context! {
        vars => minijinja::context! { host => "db1", port => "5432", path => "/var/log/é" },
        stdout => "Use%\n 91%\n",
    };
    let _ = render(&env, text, &ctx);
    let _ = eval_bool(&env, text, &ctx);
});
