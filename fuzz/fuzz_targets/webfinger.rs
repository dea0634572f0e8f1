//! See kuvend::fuzzing::webfinger.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kuvend::fuzzing::webfinger(data));
