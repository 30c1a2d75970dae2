/**
 * Prints a driver's `BENCH_RESULT {...}` line and ends the process once the line has been handed to
 * the OS. `process.exit` right after `write` drops whatever a pipe did not take yet: a reader slower
 * than the writer (the benchmark runner, busy on a loaded CPU) then gets a cut line, or none, from a
 * result of several hundred KB. Exiting in the write's callback waits for the whole line.
 */
export function printResultAndExit(stream: NodeJS.WriteStream, result: unknown): void {
  stream.write(`BENCH_RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}
