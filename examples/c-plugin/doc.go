// Package cplugin holds ECHO_C, an example SMS provider plugin written in C
// (src/echo.c), which proves the plugin ABI is language-neutral. Build it with
// the Makefile beside this file (clang --target=wasm32-wasi with wasi-libc);
// its test builds it when clang can target wasm32-wasi, runs it through the
// real plugin host against recorded answers of its small echo HTTP API, and
// is skipped with a clear message otherwise.
package cplugin
