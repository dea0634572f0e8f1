//! See kuvend::fuzzing::draft_cavage_signature.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kuvend::fuzzing::draft_cavage_signature(data));
