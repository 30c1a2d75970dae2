/**
 * Which request bodies the inference API lets through, and which answers it can return as text.
 * The allow-list covers what the HuggingFace inference toolkit decodes (JSON, text/CSV, NumPy,
 * images, audio) plus raw bytes for custom containers; anything else (notably the
 * `application/x-www-form-urlencoded` that `curl -d` sends by default) is refused with 415 before
 * SageMaker is called.
 */

/** Media types POST /predict accepts (`type/*` and `application/*+json` are wildcards). */
export const ALLOWED_MEDIA_TYPES: readonly string[] = [
  'application/json',
  'application/*+json',
  'application/jsonlines',
  'application/x-jsonlines',
  'text/*',
  'application/octet-stream',
  'application/x-npy',
  'application/x-image',
  'image/*',
  'audio/*',
];

/** Content-Type assumed when a request has none (the HuggingFace toolkit's default). */
export const DEFAULT_CONTENT_TYPE = 'application/json';

/** Accept sent to SageMaker when the request has none or accepts any type (the wildcard curl sends). */
export const DEFAULT_ACCEPT = 'application/json';

/** The bare, lower-case media type of a Content-Type value: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** True when the media type is on the allow-list. */
export function isAllowedMediaType(type: string): boolean {
  return ALLOWED_MEDIA_TYPES.some((allowed) => matches(type, allowed));
}

/** True for JSON bodies, which the proxy checks parse before calling the model. */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** True for answers returned as text (JSON, JSON lines, XML, text/*); others go out base64-encoded. */
export function isTextMediaType(type: string): boolean {
  return (
    isJsonMediaType(type) ||
    type.startsWith('text/') ||
    type === 'application/jsonlines' ||
    type === 'application/x-jsonlines' ||
    type === 'application/xml' ||
    /^application\/[a-z0-9.+-]+\+xml$/.test(type)
  );
}

function matches(type: string, pattern: string): boolean {
  if (pattern.endsWith('/*'))
    return type.startsWith(pattern.slice(0, -1)) && type.length > pattern.length - 1;
  if (pattern === 'application/*+json') return isJsonMediaType(type);
  return type === pattern;
}
