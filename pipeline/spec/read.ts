import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { RolloutSpec } from './schema';
import { parseSpec } from './validate';

/**
 * The largest spec file read, in bytes (256 KiB). Step Functions refuses an execution input above
 * 256 KiB (StartExecution `input`), and the spec travels in that input, so a larger file could never
 * start a rollout.
 */
export const SPEC_FILE_MAX_BYTES = 256 * 1024;

/** A spec file that cannot be read as one: missing, not a regular file, unreadable or too large. */
export class SpecFileError extends Error {
  override readonly name = 'SpecFileError';
}

/**
 * Reads a spec file: a regular file (a symlink to one is fine) of at most SPEC_FILE_MAX_BYTES. A FIFO,
 * a device such as /dev/zero or a directory is refused before a byte is read, so the read can neither
 * block nor grow without bound.
 */
export function readSpecFile(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO that has no writer must not wait for one.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new SpecFileError(`Cannot read spec file ${file}: ${describeErrno(error)}.`, { cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new SpecFileError(
        `Cannot read spec file ${file}: it is ${kindOf(stat)}, not a regular file; pass a JSON file.`,
      );
    }
    if (stat.size > SPEC_FILE_MAX_BYTES) {
      throw new SpecFileError(tooLarge(file));
    }
    // Read one byte past the cap: a file that grew after fstat is still refused, not cut short.
    const buffer = Buffer.alloc(SPEC_FILE_MAX_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > SPEC_FILE_MAX_BYTES) throw new SpecFileError(tooLarge(file));
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads, parses and validates a spec file; `raw` is the parsed JSON as written (for the execution input). */
export function loadSpecFile(file: string): { spec: RolloutSpec; raw: unknown } {
  const text = readSpecFile(file);
  const spec = parseSpec(text, file);
  // parseSpec has parsed and depth-checked this text already; it cannot fail here.
  return { spec, raw: JSON.parse(text) as unknown };
}

function tooLarge(file: string): string {
  return `Cannot read spec file ${file}: it is larger than ${SPEC_FILE_MAX_BYTES} bytes (256 KiB, the Step Functions input limit a spec travels in).`;
}

function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return code ?? (error as Error).message;
}
