// Package interrupt instruments WebAssembly modules so that the host can stop any call into them.
//
// # Why
//
// A provider plugin must never be able to hold a host goroutine forever. wazero's only built-in way
// to stop a guest, RuntimeConfig.WithCloseOnContextDone(true), makes the compiler emit an indirect
// call to a trampoline at every loop header. Go's wasm output has a loop in nearly every function
// (the resumption loop of its goroutine scheduler), so Go guests run several times slower with it,
// and the instance is closed when the context ends. Instrument instead rewrites the module once, at
// load time, with a check that costs a few instructions.
//
// # Technique
//
// Instrument adds two mutable i32 globals after all existing ones, so no global index moves: the
// flag, exported as GlobalName and written only by the host, and a countdown, not exported and
// written only by the guest. At the head of every loop body, and at the start of every function body
// that holds a call outside all of its loops, it inserts:
//
//	countdown -= 1
//	if countdown == 0 {
//	    countdown = CheckInterval
//	    memory.grow 0             // no-op; returns control to the Go runtime
//	    if flag != 0 { unreachable }
//	}
//
// The sequence is stack-neutral and structured, and wasm branches name enclosing blocks rather than
// byte offsets, so inserting it needs no other change than recomputing body and section sizes. Every
// instruction of every body is decoded (with all immediates) to find the loops; a module with an
// opcode the walker does not know is refused rather than guessed at.
//
// Two separate globals, not one shared counter, so that a host write can never be lost to the
// guest's read-modify-write of the countdown.
//
// The slow path returns to Go because wazero's compiled code cannot be preempted: a goroutine
// spinning in native code never reaches a safe point, so the Go garbage collector's stop-the-world
// waits for it forever, every other goroutine of the host stays stopped, and the goroutine that
// would set the flag never runs. The whole process deadlocks (TestGCWhileSpinning hangs without
// the memory.grow). `memory.grow 0` is the cheapest instruction that leaves native code in wazero
// without adding an import (which would shift every function index); modules without a memory get
// an empty, unexported one. The flag is read on the same slow path: its cost is paid once per
// CheckInterval checks.
//
// # Guarantees
//
// Once the flag is non-zero, the running call traps with `unreachable` after at most CheckInterval
// further checks, and while a guest runs, its goroutine comes back to the Go runtime at least every
// CheckInterval checks. This bounds every execution because any unbounded execution in wasm must
// either iterate a loop (each iteration passes a loop head) or make calls (each passes a function
// entry); between two checks only forward branches and returns happen, so that stretch is bounded by
// the size of the function bodies on the call stack. A function whose calls all sit inside loops needs no check at its
// entry: from there control reaches a call only through a loop head, which is checked, so every call
// still passes a check (about a tenth of a Go guest's run time was these redundant entry checks).
// Recursion depth is further bounded by wazero's stack limit,
// and memory use by the memory page cap the host configures. A trap unwinds the whole wasm stack;
// the instance must then be discarded, since the guest may have been stopped half-way through
// updating its own state (a Go guest's runtime, for instance).
//
// Instrument also refuses modules whose vector counts or lengths exceed their section: wazero sizes
// allocations from these counts before reading the entries, so a 14-byte module claiming 100 million
// tables would make CompileModule allocate gigabytes. The refusal is a cheap filter in front of the
// engine, not a validator: wazero's CompileModule still validates the output, and accepts it
// whenever it accepts the input.
//
// # Limits
//
//   - Refused (ErrUnsupported): SIMD (0xFD prefix; Go and clang without -msimd128 do not emit it),
//     threads and atomics (0xFE), exception handling (try, catch, throw, throw_ref, delegate,
//     try_table), typed function references and GC (call_ref, br_on_null, ref.as_non_null, ref.eq,
//     0xFB, GC types), multi-memory memargs, memory64 limits, and unknown opcodes or 0xFC
//     sub-opcodes above 17. The caller falls back to WithCloseOnContextDone or refuses the plugin.
//   - Interruption is not immediate: up to CheckInterval checks run after the flag is set (see
//     BenchmarkInterruptLatency: tens of microseconds for a tight loop).
//   - The return to Go gives the runtime a chance to preempt, not a guaranteed safe point: wazero's
//     exit path is short, so a garbage collection that starts while a guest spins may wait for an
//     asynchronous preemption to land there. Measured on a loaded 2-core machine, GC pauses with a
//     spinning guest reached hundreds of milliseconds, as with WithCloseOnContextDone; without the
//     return to Go the process deadlocked. Keep plugin calls short and deadlines tight.
//   - Time spent inside host functions the guest imports is not covered; host functions must bound
//     themselves.
//   - The flag is a plain global: the host's MutableGlobal.Set is an ordinary store that the guest's
//     load observes through cache coherence, which holds on amd64 and arm64, wazero's compiler
//     targets.
//   - Instrumentation is not idempotent: a module that already exports GlobalName, including any
//     output of Instrument, is refused with ErrAlreadyInstrumented.
package interrupt
