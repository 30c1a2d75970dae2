import fc from 'fast-check';
import { findJsonSyntaxError } from '../../lambdas/proxy/json-syntax';

describe('findJsonSyntaxError', () => {
  it.each([
    ['{"a":}', 5, 'expected a value'],
    ['[1,2,]', 5, 'expected a value'],
    ['{"a" 1}', 5, "expected ':' after property name"],
    ['{"a":1', 6, "unexpected end of input, expected ',' or '}'"],
    ['{"a":1}x', 7, 'unexpected text after the JSON value'],
    ["{'a':1}", 1, 'expected a property name in double quotes'],
    ['"abc', 4, 'unterminated string'],
    ['"a\\qb"', 2, 'invalid escape in string'],
    ['"\\u12G4"', 1, 'invalid \\u escape (expected 4 hex digits)'],
    ['01', 1, 'unexpected text after the JSON value'],
    ['-', 0, 'invalid number'],
    ['tru', 0, 'expected a value'],
    ['', 0, 'unexpected end of input, expected a value'],
    ['{"a":[1,{"b":2]}', 14, "expected ',' or '}'"],
  ])('locates the error in %j at offset %i', (text, offset, problem) => {
    expect(findJsonSyntaxError(text)).toMatchObject({ offset, problem });
  });

  it('reports 1-based line and column', () => {
    expect(findJsonSyntaxError('{\n  "a": 1,\n  "b": nope\n}')).toMatchObject({ line: 3, column: 8 });
  });

  it('finds nothing wrong in any JSON.stringify output', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        expect(findJsonSyntaxError(JSON.stringify(value, null, pretty ? 2 : 0))).toBeNull();
      }),
    );
  });

  it('agrees with JSON.parse on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((j) => j.slice(0, -1)),
          fc.json().map((j) => `${j}]`),
        ),
        (text) => {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          expect(findJsonSyntaxError(text) === null).toBe(valid);
        },
      ),
    );
  });

  it('survives deep nesting without overflowing the stack', () => {
    expect(findJsonSyntaxError('['.repeat(200_000))).toMatchObject({ offset: 200_000 });
  });
});
