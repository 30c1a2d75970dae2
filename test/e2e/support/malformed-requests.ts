import fc from 'fast-check';

/**
 * Malformed requests to the public inference API, for property-based tests of the edge and the
 * proxy: bad JSON, content types the API refuses, bodies over InvokeEndpoint's 6 MB, random bytes,
 * no body, and methods the route does not have. Each knows the status a caller must get.
 */

/** One request to `{publicUrl}{path}`. */
export interface MalformedRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** The exact status expected, when the kind decides it; any 4xx otherwise. */
  readonly status?: number;
}

/** What a request looks like in a failure message (bodies shortened). */
export function describeRequest(request: MalformedRequest): string {
  const body =
    request.body === undefined
      ? 'no body'
      : typeof request.body === 'string'
        ? `${request.body.length} chars ${JSON.stringify(request.body.slice(0, 40))}`
        : `${request.body.length} bytes`;
  return `${request.kind}: ${request.method} ${request.path} ${JSON.stringify(request.headers)} (${body})`;
}

const MB = 1024 * 1024;

/** JSON media types the proxy checks before calling the model. */
const jsonType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/problem+json',
  'application/vnd.api+json',
);

/** Text that JSON.parse refuses. */
const notJson: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 200 }),
    fc.constantFrom(
      '{',
      '{"inputs": }',
      "{'inputs': 'single quotes'}",
      '{"inputs": "x",}',
      'undefined',
      'NaN',
    ),
    fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1)) + ','),
    fc
      .string({ maxLength: 40 })
      .map((text) => JSON.stringify({ inputs: text }))
      .chain((text) => fc.integer({ min: 1, max: text.length - 1 }).map((cut) => text.slice(0, cut))),
  )
  .filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });

const badJson: fc.Arbitrary<MalformedRequest> = fc.tuple(jsonType, notJson).map(([contentType, body]) => ({
  kind: 'bad JSON',
  method: 'POST',
  path: '/predict',
  headers: { 'content-type': contentType },
  body,
  status: 400,
}));

/** Content types outside the proxy's allow-list (415 before SageMaker is called). */
const refusedType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/xml',
    'multipart/form-data; boundary=----x',
    'application/pdf',
    'video/mp4',
    'font/woff2',
    'application/javascript',
    'application/jsonl',
    'model/gltf+json',
  ),
  fc
    .tuple(
      fc.constantFrom('x-custom', 'video', 'font', 'model', 'message', 'chemical'),
      fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/),
    )
    .map(([type, subtype]) => `${type}/${subtype}`),
);

const wrongContentType: fc.Arbitrary<MalformedRequest> = fc
  .tuple(refusedType, fc.oneof(fc.json(), fc.string({ minLength: 1, maxLength: 100 })))
  .map(([contentType, body]) => ({
    kind: 'wrong content type',
    method: 'POST',
    path: '/predict',
    headers: { 'content-type': contentType },
    body,
    status: 415,
  }));

/**
 * Bodies over the API's 4,500,000 bytes: the proxy refuses them while their base64 event fits Lambda's
 * 6,291,456 bytes, API Gateway past that (and past its own 10 MB); 413 either way.
 */
const oversize: fc.Arbitrary<MalformedRequest> = fc
  .tuple(
    fc.integer({ min: 4_500_001, max: 11 * MB }),
    fc.constantFrom('application/json', 'application/octet-stream', 'text/plain'),
  )
  .map(([bytes, contentType]) => ({
    kind: `oversize (${bytes} bytes)`,
    method: 'POST',
    path: '/predict',
    headers: { 'content-type': contentType },
    body:
      contentType === 'application/json'
        ? JSON.stringify({ inputs: 'x'.repeat(bytes - 13) })
        : new Uint8Array(bytes).fill(120),
    status: 413,
  }));

/** Random bytes, declared as JSON, as raw bytes, as media, or not declared at all. */
const binary: fc.Arbitrary<MalformedRequest> = fc
  .tuple(
    fc.uint8Array({ minLength: 1, maxLength: 4096 }),
    fc.constantFrom(
      undefined,
      'application/json',
      'application/octet-stream',
      'image/png',
      'audio/wav',
      'text/csv',
    ),
  )
  .map(([bytes, contentType]) => ({
    kind: `binary as ${contentType ?? 'no content type'}`,
    method: 'POST',
    path: '/predict',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body: new Uint8Array(bytes),
  }));

const missingBody: fc.Arbitrary<MalformedRequest> = fc
  .constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'image/jpeg')
  .map((contentType) => ({
    kind: `missing body (${contentType ?? 'no content type'})`,
    method: 'POST',
    path: '/predict',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    status: 400,
  }));

/** Methods /predict does not have (OPTIONS is a valid preflight, HEAD answers without a body). */
const wrongMethod: fc.Arbitrary<MalformedRequest> = fc
  .tuple(fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE'), fc.json())
  .map(([method, body]) => ({
    kind: `wrong method ${method}`,
    method,
    path: '/predict',
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
    status: 405,
  }));

/** Any malformed request. */
export const malformedRequest: fc.Arbitrary<MalformedRequest> = fc.oneof(
  { arbitrary: badJson, weight: 30 },
  { arbitrary: wrongContentType, weight: 20 },
  { arbitrary: binary, weight: 25 },
  { arbitrary: missingBody, weight: 10 },
  { arbitrary: wrongMethod, weight: 13 },
  { arbitrary: oversize, weight: 2 },
);
