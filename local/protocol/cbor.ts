import { AwsError } from './errors';

/**
 * CBOR (RFC 8949), the subset Smithy RPC v2 CBOR uses: integers, byte and text strings, arrays, maps
 * (definite or indefinite length), tag 1 (epoch-seconds timestamps), floats and simple values. Decoded
 * values take the shapes awsJson operations read, so one set of operations serves both protocols:
 * timestamps become epoch seconds, byte strings base64 text.
 */

/** Decodes one CBOR data item (the whole buffer). */
export function decodeCbor(buffer: Buffer): unknown {
  let pos = 0;
  const fail = (why: string): never => {
    throw new AwsError('SerializationException', `Request body is not valid CBOR: ${why} at byte ${pos}.`);
  };
  const byte = (): number => {
    if (pos >= buffer.length) fail('unexpected end');
    return buffer[pos++] ?? 0;
  };
  const argument = (info: number): number => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) return fail(`reserved additional information ${info}`);
    if (pos + size > buffer.length) fail('unexpected end');
    const value = size === 8 ? Number(buffer.readBigUInt64BE(pos)) : buffer.readUIntBE(pos, size);
    pos += size;
    return value;
  };
  const chunks = (major: number, info: number): Buffer => {
    if (info !== 31) {
      const length = argument(info);
      if (pos + length > buffer.length) fail('unexpected end');
      const out = buffer.subarray(pos, pos + length);
      pos += length;
      return out;
    }
    const parts: Buffer[] = [];
    while (buffer[pos] !== 0xff) {
      const head = byte();
      if (head >> 5 !== major) fail('mixed chunk types in an indefinite string');
      parts.push(chunks(major, head & 0x1f));
    }
    pos++;
    return Buffer.concat(parts);
  };
  const item = (): unknown => {
    const head = byte();
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0:
        return argument(info);
      case 1:
        return -1 - argument(info);
      case 2:
        return chunks(2, info).toString('base64');
      case 3:
        return chunks(3, info).toString('utf8');
      case 4: {
        const list: unknown[] = [];
        if (info === 31) {
          while (buffer[pos] !== 0xff) list.push(item());
          pos++;
        } else {
          for (let n = argument(info); n > 0; n--) list.push(item());
        }
        return list;
      }
      case 5: {
        const map: Record<string, unknown> = {};
        const entry = (): void => {
          const key = item();
          if (typeof key !== 'string') fail('a map key that is not a text string');
          map[String(key)] = item();
        };
        if (info === 31) {
          while (buffer[pos] !== 0xff) entry();
          pos++;
        } else {
          for (let n = argument(info); n > 0; n--) entry();
        }
        return map;
      }
      case 6: {
        const tag = argument(info);
        const value = item();
        // Tag 1 is an epoch-based date/time: awsJson operations read timestamps as epoch seconds.
        if (tag === 1 && typeof value === 'number') return value;
        return fail(`unsupported tag ${tag}`);
      }
      default:
        return simple(info);
    }
  };
  const simple = (info: number): unknown => {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22 || info === 23) return null;
    if (info === 25) {
      const half = buffer.readUInt16BE(pos);
      pos += 2;
      return halfToNumber(half);
    }
    if (info === 26) {
      const value = buffer.readFloatBE(pos);
      pos += 4;
      return value;
    }
    if (info === 27) {
      const value = buffer.readDoubleBE(pos);
      pos += 8;
      return value;
    }
    return fail(`unsupported simple value ${info}`);
  };
  if (buffer.length === 0) return {};
  const value = item();
  if (pos !== buffer.length) fail('bytes after the data item');
  return value;
}

function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Encodes a JSON-like value. Numbers under a member named in `timestampMembers` (directly, or as elements
 * of a list) are written as tag 1 timestamps, as Smithy RPC v2 CBOR requires for timestamp shapes.
 */
export function encodeCbor(value: unknown, timestampMembers: ReadonlySet<string> = new Set()): Buffer {
  const parts: Buffer[] = [];
  const head = (major: number, n: number): void => {
    if (n < 24) parts.push(Buffer.from([(major << 5) | n]));
    else if (n < 0x100) parts.push(Buffer.from([(major << 5) | 24, n]));
    else if (n < 0x10000) {
      const b = Buffer.alloc(3);
      b[0] = (major << 5) | 25;
      b.writeUInt16BE(n, 1);
      parts.push(b);
    } else if (n < 0x100000000) {
      const b = Buffer.alloc(5);
      b[0] = (major << 5) | 26;
      b.writeUInt32BE(n, 1);
      parts.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = (major << 5) | 27;
      b.writeBigUInt64BE(BigInt(n), 1);
      parts.push(b);
    }
  };
  const number = (n: number): void => {
    if (Number.isSafeInteger(n)) {
      if (n >= 0) head(0, n);
      else head(1, -1 - n);
      return;
    }
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(n, 1);
    parts.push(b);
  };
  const write = (v: unknown, timestamp: boolean): void => {
    if (v === null || v === undefined) parts.push(Buffer.from([0xf6]));
    else if (typeof v === 'boolean') parts.push(Buffer.from([v ? 0xf5 : 0xf4]));
    else if (typeof v === 'number') {
      if (timestamp) head(6, 1);
      number(v);
    } else if (typeof v === 'string') {
      const bytes = Buffer.from(v, 'utf8');
      head(3, bytes.length);
      parts.push(bytes);
    } else if (Array.isArray(v)) {
      head(4, v.length);
      for (const x of v) write(x, timestamp);
    } else if (Buffer.isBuffer(v)) {
      head(2, v.length);
      parts.push(v);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      head(5, entries.length);
      for (const [k, x] of entries) {
        write(k, false);
        write(x, timestampMembers.has(k));
      }
    } else {
      parts.push(Buffer.from([0xf6]));
    }
  };
  write(value, false);
  return Buffer.concat(parts);
}
