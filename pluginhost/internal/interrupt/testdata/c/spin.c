// Test guest of package interrupt in C: built by the tests with
// clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry when clang supports wasm32.

// counter is incremented by spin so the host can see the loop running.
volatile unsigned long long counter;

// counter_addr returns the address of counter in linear memory.
__attribute__((export_name("counter_addr"))) unsigned counter_addr(void) {
	return (unsigned)(unsigned long)&counter;
}

// sum is a normal function with nested loops.
__attribute__((export_name("sum"))) int sum(int n) {
	int s = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j <= i; j++)
			s += j ^ i;
	return s;
}

// fib recurses without any loop: only the function-entry check can stop it.
__attribute__((export_name("fib"))) int fib(int n) {
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// spin never returns.
__attribute__((export_name("spin"))) void spin(void) {
	for (;;)
		counter++;
}
