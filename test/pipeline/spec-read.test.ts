import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpecInvalidError, formatSpecIssue, parseSpec, validateSpec } from '../../pipeline/spec';
import { SPEC_FILE_MAX_BYTES, SpecFileError, loadSpecFile, readSpecFile } from '../../pipeline/spec/read';
import { MAX_SPEC_DEPTH } from '../../pipeline/spec/validate';

/**
 * Spec files are read with limits: regular files only (a FIFO would block, /dev/zero would grow
 * without bound), at most 256 KiB, and JSON nested deeper than MAX_SPEC_DEPTH is an invalid spec (it
 * used to overflow the stack while the error was printed).
 */

let dir: string;
const minimal = {
  service: 'sentiment',
  model: { id: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english', task: 'text-classification' },
  smokeTests: [{ name: 'positive', body: { inputs: 'I love this' } }],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spec-read-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('readSpecFile', () => {
  it('reads a regular file, and a symlink to one', () => {
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(minimal));
    symlinkSync(file, join(dir, 'link.json'));

    expect(loadSpecFile(file).spec.service).toBe('sentiment');
    expect(JSON.parse(readSpecFile(join(dir, 'link.json')))).toEqual(minimal);
  });

  it('rejects a symlink to /dev/zero without reading it, naming the path', () => {
    const link = join(dir, 'zero.json');
    symlinkSync('/dev/zero', link);

    const error = thrown(() => readSpecFile(link));

    expect(error).toBeInstanceOf(SpecFileError);
    expect(error.message).toBe(
      `Cannot read spec file ${link}: it is a character device, not a regular file; pass a JSON file.`,
    );
  });

  it('rejects a FIFO without waiting for a writer', () => {
    const fifo = join(dir, 'spec.fifo');
    execFileSync('mkfifo', [fifo]);

    const error = thrown(() => readSpecFile(fifo));

    expect(error.message).toBe(
      `Cannot read spec file ${fifo}: it is a FIFO (named pipe), not a regular file; pass a JSON file.`,
    );
  });

  it('rejects a directory and a missing file, naming the path', () => {
    const sub = join(dir, 'a-folder');
    mkdirSync(sub);

    expect(thrown(() => readSpecFile(sub)).message).toBe(
      `Cannot read spec file ${sub}: it is a directory, not a regular file; pass a JSON file.`,
    );
    expect(thrown(() => readSpecFile(join(dir, 'nope.json'))).message).toBe(
      `Cannot read spec file ${join(dir, 'nope.json')}: no such file.`,
    );
  });

  it('reads a file of exactly the cap and rejects one byte more', () => {
    const atCap = join(dir, 'at-cap.json');
    const over = join(dir, 'over.json');
    writeFileSync(atCap, ' '.repeat(SPEC_FILE_MAX_BYTES));
    writeFileSync(over, ' '.repeat(SPEC_FILE_MAX_BYTES + 1));

    expect(readSpecFile(atCap)).toHaveLength(SPEC_FILE_MAX_BYTES);
    expect(thrown(() => readSpecFile(over)).message).toBe(
      `Cannot read spec file ${over}: it is larger than 262144 bytes (256 KiB, the Step Functions input limit a spec travels in).`,
    );
  });
});

describe('deeply nested specs', () => {
  // The body sits 3 levels below the root ($.smokeTests[0].body); objects and arrays may sit at
  // most MAX_SPEC_DEPTH - 1 levels down, so the body may wrap MAX_SPEC_DEPTH - 3 levels of arrays.
  it(`accepts a smoke-test body of ${MAX_SPEC_DEPTH - 3} nested arrays`, () => {
    let body: unknown = 'deep';
    for (let i = 0; i < MAX_SPEC_DEPTH - 3; i++) body = [body];
    const spec = { ...minimal, smokeTests: [{ name: 'deep', body }] };

    expect(validateSpec(spec).smokeTests[0]?.name).toBe('deep');
  });

  it('rejects 20,000 levels with one issue naming where, instead of overflowing the stack', () => {
    const text = `{"service": "x", "model": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;

    const error = thrown(() => parseSpec(text, 'deep.json'));

    expect(error).toBeInstanceOf(SpecInvalidError);
    const issues = (error as SpecInvalidError).issues;
    expect(issues).toHaveLength(1);
    expect(formatSpecIssue(issues[0] ?? { path: '', received: undefined, expected: '' })).toMatch(
      /^\$\.model\.a\.a\.a\.a\..*\.\.\.: got a value nested more than 64 levels deep; expected at most 64 levels of nested objects and arrays in the whole spec$/,
    );
  });

  it('rejects a spec one level deeper', () => {
    let body: unknown = 1;
    for (let i = 0; i < MAX_SPEC_DEPTH - 2; i++) body = { b: body };
    const spec = { ...minimal, smokeTests: [{ name: 'deep', body }] };

    expect(() => validateSpec(spec)).toThrow(/got a value nested more than 64 levels deep/);
  });
});
