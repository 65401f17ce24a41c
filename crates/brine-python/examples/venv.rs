//! Makes (or finds) the third-party virtual environment and prints its python, so that CI
//! installs it before `cargo test` and the tests that need it never skip.
#![forbid(unsafe_code)]

fn main() {
    match brine_python::venv() {
        Ok(python) => println!("{}", python.display()),
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    }
}
