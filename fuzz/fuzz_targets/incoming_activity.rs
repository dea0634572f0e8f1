//! See kuvend::fuzzing::incoming_activity.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kuvend::fuzzing::incoming_activity(data));
