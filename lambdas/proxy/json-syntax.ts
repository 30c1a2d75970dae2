/**
 * Finds where a JSON text stops being valid (RFC 8259), for error messages a caller can act on.
 * `JSON.parse` does the real check; its V8 messages often give no position, so this runs only after
 * it has failed. Iterative (no recursion), so deeply nested input cannot overflow the stack.
 */

/** Where and why a JSON text is invalid. */
export interface JsonSyntaxIssue {
  /** Offset in UTF-16 code units from the start of the text. */
  readonly offset: number;
  /** 1-based line and column of `offset`. */
  readonly line: number;
  readonly column: number;
  /** What the parser expected there, e.g. `expected ',' or '}'`. */
  readonly problem: string;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Returns the first syntax error of `text`, or null when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxIssue | null {
  const stack: ('{' | '[')[] = [];
  let i = 0;
  const at = (offset: number, problem: string): JsonSyntaxIssue => issue(text, offset, problem);
  const skipWhitespace = (): void => {
    while (i < text.length && WHITESPACE.has(text.charAt(i))) i++;
  };
  // Returns an issue, or advances i past the string.
  const readString = (): JsonSyntaxIssue | null => {
    i++;
    while (i < text.length) {
      const c = text.charAt(i);
      if (c === '"') {
        i++;
        return null;
      }
      if (c === '\\') {
        const e = text.charAt(i + 1);
        if (e === 'u') {
          if (!HEX.test(text.slice(i + 2, i + 6))) return at(i, 'invalid \\u escape (expected 4 hex digits)');
          i += 6;
        } else if (ESCAPES.has(e)) {
          i += 2;
        } else {
          return at(i, 'invalid escape in string');
        }
        continue;
      }
      if (c < ' ') return at(i, 'unescaped control character in string');
      i++;
    }
    return at(i, 'unterminated string');
  };
  // Reads `"key" :` inside an object; i is at the key.
  const readKey = (): JsonSyntaxIssue | null => {
    if (text.charAt(i) !== '"') return at(i, 'expected a property name in double quotes');
    const bad = readString();
    if (bad !== null) return bad;
    skipWhitespace();
    if (text.charAt(i) !== ':') return at(i, "expected ':' after property name");
    i++;
    return null;
  };

  for (;;) {
    // A value is expected at i.
    skipWhitespace();
    const c = text.charAt(i);
    let needValue = false;
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      skipWhitespace();
      const close = c === '{' ? '}' : ']';
      if (text.charAt(i) === close) {
        i++;
        stack.pop();
      } else if (c === '{') {
        const bad = readKey();
        if (bad !== null) return bad;
        needValue = true;
      } else {
        needValue = true;
      }
    } else if (c === '"') {
      const bad = readString();
      if (bad !== null) return bad;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null || m[0] === '-') return at(i, 'invalid number');
      i += m[0].length;
    } else if (text.startsWith('true', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else if (text.startsWith('null', i)) {
      i += 4;
    } else {
      return at(i, i >= text.length ? 'unexpected end of input, expected a value' : 'expected a value');
    }
    if (needValue) continue;

    // After a complete value: close containers, or find a comma and the next value.
    for (;;) {
      skipWhitespace();
      const top = stack[stack.length - 1];
      if (top === undefined) {
        return i < text.length ? at(i, 'unexpected text after the JSON value') : null;
      }
      const close = top === '{' ? '}' : ']';
      const next = text.charAt(i);
      if (next === close) {
        i++;
        stack.pop();
        continue;
      }
      if (next !== ',') {
        return at(
          i,
          i >= text.length
            ? `unexpected end of input, expected ',' or '${close}'`
            : `expected ',' or '${close}'`,
        );
      }
      i++;
      if (top === '{') {
        skipWhitespace();
        const bad = readKey();
        if (bad !== null) return bad;
      }
      break;
    }
  }
}

function issue(text: string, offset: number, problem: string): JsonSyntaxIssue {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1, problem };
}
