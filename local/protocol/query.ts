import type { LocalResponse } from './types';
import { toAwsError } from './aws-json';

/** Parses an awsQuery form body (`Action=Publish&Version=...&TopicArn=...`). */
export function parseQueryBody(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString('utf8'));
}

/** Escapes text for XML content. */
export function xmlEscape(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

/** Renders a plain object as XML elements (arrays as repeated `member` elements, as awsQuery does). */
export function toXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? xmlEscape(String(value))
    : '';
}

/** An awsQuery success answer: `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata/></ActionResponse>`. */
export function queryResponse(
  action: string,
  namespace: string,
  result: unknown,
  requestId: string,
): LocalResponse {
  const body =
    `<?xml version="1.0"?><${action}Response xmlns="${namespace}"><${action}Result>${toXml(result)}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

/** An awsQuery error answer. */
export function queryError(error: unknown, requestId: string): LocalResponse {
  const aws = toAwsError(error);
  const type = aws.status >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<?xml version="1.0"?><ErrorResponse><Error><Type>${type}</Type><Code>${xmlEscape(aws.code)}</Code>` +
    `<Message>${xmlEscape(aws.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: aws.status, headers: { 'content-type': 'text/xml' }, body };
}
