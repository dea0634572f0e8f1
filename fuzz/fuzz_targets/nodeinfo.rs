//! See kuvend::fuzzing::nodeinfo.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kuvend::fuzzing::nodeinfo(data));
