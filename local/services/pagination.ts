import { AwsError } from '../protocol/errors';

/** One page of a list and the token of the next one (undefined on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
}

/**
 * Pages through an already filtered and sorted list. Tokens are opaque to clients, as AWS's are; they
 * carry the offset and a fingerprint of the query, so a token cannot be replayed against another one.
 */
export function paginate<T>(
  items: readonly T[],
  maxResults: number,
  token: string | undefined,
  query: string,
  invalidToken: () => AwsError = () =>
    new AwsError('ValidationException', 'The pagination token is invalid.'),
): Page<T> {
  let offset = 0;
  if (token !== undefined && token !== '') {
    const decoded = decodeToken(token);
    if (decoded === undefined || decoded.q !== fingerprint(query)) throw invalidToken();
    offset = decoded.o;
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return {
    items: page,
    nextToken:
      next < items.length
        ? Buffer.from(JSON.stringify({ o: next, q: fingerprint(query) })).toString('base64url')
        : undefined,
  };
}

function decodeToken(token: string): { o: number; q: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      o?: unknown;
      q?: unknown;
    };
    return typeof parsed.o === 'number' &&
      Number.isInteger(parsed.o) &&
      parsed.o >= 0 &&
      typeof parsed.q === 'string'
      ? { o: parsed.o, q: parsed.q }
      : undefined;
  } catch {
    return undefined;
  }
}

function fingerprint(query: string): string {
  let h = 2166136261;
  for (let i = 0; i < query.length; i++) h = Math.imul(h ^ query.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
