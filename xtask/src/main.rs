//! Project automation for brine, run as `cargo xtask <command>`.

fn main() {
    eprintln!("usage: cargo xtask <fixtures>");
    std::process::exit(2);
}
