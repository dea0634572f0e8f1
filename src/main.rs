//! The `kuvend` binary: all of it lives in the library, so tests can start it.

fn main() -> std::process::ExitCode {
    kuvend::memory::limit_arenas();
    kuvend::cli::main()
}
