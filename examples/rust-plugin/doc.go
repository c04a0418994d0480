// Package rustplugin holds ECHO_RUST, an example SMS provider plugin written
// in Rust with the standard library only (src/echo.rs, no crates, no cargo):
// one rustc command builds it with Debian's toolchain (apt-get install
// rustc libstd-rust-dev-wasm32; target wasm32-wasi, wasm32-wasip1 on newer
// rustc). Its test builds it when a rustc that can target WASI is found,
// runs it through the real plugin host against recorded answers of the
// small echo HTTP API, and is skipped with a clear message otherwise.
package rustplugin
