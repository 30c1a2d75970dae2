import type { LocalRequest, LocalResponse } from './types';
import { toAwsError } from './aws-json';

/** A REST route: method + path pattern with `{param}` segments (`{name+}` matches the rest). */
export interface RestRoute<T> {
  readonly method: string;
  readonly pattern: string;
  readonly operation: string;
  readonly handler: T;
}

/** Matches a request against routes; returns the route and its path parameters (URI-decoded). */
export function matchRoute<T>(
  routes: readonly RestRoute<T>[],
  req: LocalRequest,
): { route: RestRoute<T>; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== req.method) continue;
    const params = matchPath(route.pattern, req.path);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}

/** Matches one pattern such as `/2015-03-31/functions/{name}/invocations`. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const pp = pattern.split('/');
  const sp = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < pp.length; i++) {
    const p = pp[i] ?? '';
    const greedy = /^\{(\w+)\+\}$/.exec(p);
    if (greedy?.[1] !== undefined) {
      params[greedy[1]] = decodeURIComponent(sp.slice(i).join('/'));
      return params;
    }
    const s = sp[i];
    if (s === undefined) return undefined;
    const named = /^\{(\w+)\}$/.exec(p);
    if (named?.[1] !== undefined) params[named[1]] = decodeURIComponent(s);
    else if (p !== s) return undefined;
  }
  return pp.length === sp.length ? params : undefined;
}

/** A restJson error answer (`x-amzn-ErrorType` header + `{message}` body, as Lambda and SageMaker Runtime answer). */
export function restJsonError(error: unknown): LocalResponse {
  const aws = toAwsError(error);
  return {
    status: aws.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': aws.code },
    body: JSON.stringify({
      message: aws.message,
      Message: aws.message,
      Type: aws.status >= 500 ? 'Service' : 'User',
      ...aws.fields,
    }),
  };
}

/** A JSON answer. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): LocalResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
