import { buildProxyEvent } from '../local/services/edge-proxy-event';

/** How the body travels in the event: base64 (our API: binaryMediaTypes `*\/*`) or as text (tutorials' APIs). */
export type BodyEncoding = 'base64' | 'text';

const WORDS = ['I', 'love', 'this', 'product,', 'it', 'works', 'great', 'and', 'ships', 'fast.'];

/** A HuggingFace toolkit request body (`{"inputs": "<text>"}`) of exactly `bytes` bytes of JSON. */
export function inferenceBody(bytes: number): string {
  const envelope = '{"inputs":""}';
  if (bytes < envelope.length + 1) throw new Error(`inferenceBody: at least ${envelope.length + 1} bytes`);
  const wanted = bytes - envelope.length;
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < wanted; i += 1) {
    const word = `${length === 0 ? '' : ' '}${WORDS[i % WORDS.length] ?? 'ok'}`;
    parts.push(word);
    length += word.length;
  }
  return `{"inputs":"${parts.join('').slice(0, wanted)}"}`;
}

/**
 * The API Gateway REST (payload v1) proxy event of `POST /predict` with a JSON body, built by the
 * local edge's own event builder as it would arrive through CloudFront (origin header included).
 */
export function predictEvent(
  body: string,
  options: { readonly encoding: BodyEncoding; readonly originVerifySecret?: string },
): Record<string, unknown> {
  const headers: [string, string][] = [
    ['content-type', 'application/json'],
    ['accept', 'application/json'],
    ['user-agent', 'bench/1.0'],
    ['x-api-key', 'bench-api-key'],
    ['via', '1.1 0123456789abcdef.cloudfront.net (CloudFront)'],
    ['x-forwarded-for', '127.0.0.1'],
    ['cloudfront-forwarded-proto', 'https'],
  ];
  if (options.originVerifySecret !== undefined) headers.push(['x-origin-verify', options.originVerifySecret]);
  const event = buildProxyEvent(
    {
      method: 'POST',
      path: '/predict',
      query: new URLSearchParams(),
      headers,
      body: Buffer.from(body, 'utf8'),
      sourceIp: '127.0.0.1',
    },
    {
      apiId: 'benchapi01',
      accountId: '000000000000',
      region: 'us-east-1',
      stage: 'prod',
      apiKeyId: 'benchkey',
    },
    '11111111-2222-3333-4444-555555555555',
  );
  return options.encoding === 'base64' ? event : { ...event, body, isBase64Encoded: false };
}
