//! See kuvend::fuzzing::text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kuvend::fuzzing::text(data));
