import { decodeCbor, encodeCbor } from '../../local/protocol/cbor';

describe('CBOR codec', () => {
  it('round-trips the JSON-like values awsJson operations use', () => {
    const value = {
      Namespace: 'HfRollout',
      Count: 3,
      Big: 2 ** 40,
      Negative: -500,
      Ratio: 0.25,
      Ok: true,
      Nothing: null,
      Items: ['a', { Nested: [1, 2] }],
      Unicode: 'déjà vu ✓',
    };
    expect(decodeCbor(encodeCbor(value))).toEqual(value);
  });

  it('writes timestamp members as tag 1 and reads tag 1 back as epoch seconds', () => {
    const bytes = encodeCbor({ Timestamps: [1700000000, 1700000060.5] }, new Set(['Timestamps']));
    expect(bytes.includes(0xc1)).toBe(true);
    expect(decodeCbor(bytes)).toEqual({ Timestamps: [1700000000, 1700000060.5] });
  });

  it('reads half and single floats, byte strings and indefinite-length maps, arrays and strings', () => {
    // {_ "a": [_ 1.5 (half), 2.5 (single)], "b": h'0102', "c": (_ "ab", "c")}
    const bytes = Buffer.from([
      0xbf, 0x61, 0x61, 0x9f, 0xf9, 0x3e, 0x00, 0xfa, 0x40, 0x20, 0x00, 0x00, 0xff, 0x61, 0x62, 0x42, 0x01,
      0x02, 0x61, 0x63, 0x7f, 0x62, 0x61, 0x62, 0x61, 0x63, 0xff, 0xff,
    ]);
    expect(decodeCbor(bytes)).toEqual({ a: [1.5, 2.5], b: 'AQI=', c: 'abc' });
  });

  it('refuses truncated input as a SerializationException', () => {
    expect(() => decodeCbor(Buffer.from([0x82, 0x01]))).toThrow(
      /Request body is not valid CBOR: unexpected end/,
    );
  });
});
