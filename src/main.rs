//! The `kuvend` binary: all of it lives in the library, so tests can start it.

/// See Cargo.toml for why mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kuvend::cli::main()
}
