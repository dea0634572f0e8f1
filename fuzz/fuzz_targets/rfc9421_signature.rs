//! See kuvend::fuzzing::rfc9421_signature.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kuvend::fuzzing::rfc9421_signature(data));
