import { applyFault } from '../../faults';
import { parseJsonBody } from '../../protocol/aws-json';
import { jsonResponse, matchRoute, restJsonError, type RestRoute } from '../../protocol/rest';
import type { LocalRequest, LocalResponse, LocalService, ServiceContext } from '../../protocol/types';
import type { LambdaFunctions } from './lambda-functions';

type LambdaHandler = (
  req: LocalRequest,
  params: Record<string, string>,
) => Promise<LocalResponse> | LocalResponse;

const BASE = '/2015-03-31/functions';

/**
 * Lambda on its wire protocol (restJson under `/2015-03-31/functions`): maps HTTP requests to the
 * operations in lambda-functions.ts and their results back to the headers and bodies the SDK reads.
 * Declared faults apply as `Lambda.<Operation>` with the request's fields (FunctionName included).
 */
export function lambdaService(ctx: ServiceContext, functions: LambdaFunctions): LocalService {
  const routes: RestRoute<LambdaHandler>[] = [
    {
      method: 'POST',
      pattern: `${BASE}/{FunctionName}/invocations`,
      operation: 'Invoke',
      handler: async (req, params) => {
        const out = await functions.invoke({
          functionName: params.FunctionName ?? '',
          payload: req.body,
          ...optional('invocationType', header(req, 'x-amz-invocation-type')),
          ...optional('logType', header(req, 'x-amz-log-type')),
          ...optional('clientContext', header(req, 'x-amz-client-context')),
          ...optional('qualifier', req.query.get('Qualifier') ?? undefined),
        });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (out.executedVersion !== undefined) headers['x-amz-executed-version'] = out.executedVersion;
        if (out.functionError !== undefined) headers['x-amz-function-error'] = out.functionError;
        if (out.logResult !== undefined) headers['x-amz-log-result'] = out.logResult;
        return { status: out.statusCode, headers, body: out.payload ?? '' };
      },
    },
    {
      method: 'GET',
      pattern: `${BASE}/{FunctionName}/configuration`,
      operation: 'GetFunctionConfiguration',
      handler: (req, params) =>
        jsonResponse(
          200,
          functions.getConfiguration(params.FunctionName ?? '', req.query.get('Qualifier') ?? undefined),
        ),
    },
    {
      method: 'PUT',
      pattern: `${BASE}/{FunctionName}/configuration`,
      operation: 'UpdateFunctionConfiguration',
      handler: (req, params) =>
        jsonResponse(
          200,
          functions.updateConfiguration({
            ...parseJsonBody(req.body),
            FunctionName: params.FunctionName ?? '',
          }),
        ),
    },
    {
      method: 'GET',
      pattern: `${BASE}/{FunctionName}`,
      operation: 'GetFunction',
      handler: (req, params) =>
        jsonResponse(
          200,
          functions.getFunction(params.FunctionName ?? '', req.query.get('Qualifier') ?? undefined),
        ),
    },
    ...['', '/'].map((suffix): RestRoute<LambdaHandler> => ({
      method: 'GET',
      pattern: `${BASE}${suffix}`,
      operation: 'ListFunctions',
      handler: (req) => {
        const maxItems = req.query.get('MaxItems');
        return jsonResponse(
          200,
          functions.listFunctions(
            req.query.get('Marker') ?? undefined,
            maxItems === null ? undefined : Number(maxItems),
          ),
        );
      },
    })),
  ];
  return {
    id: 'Lambda',
    matches: (req) => req.path.startsWith(BASE) && matchRoute(routes, req) !== undefined,
    async handle(req) {
      const found = matchRoute(routes, req);
      if (found === undefined)
        return restJsonError(new Error(`No Lambda route for ${req.method} ${req.path}`));
      try {
        await applyFault(ctx, `Lambda.${found.route.operation}`, faultInput(req, found.params));
        return await found.route.handler(req, found.params);
      } catch (error) {
        return restJsonError(error);
      }
    },
  };
}

/** The fields a fault rule can match: path parameters, query, and the JSON body when there is one. */
function faultInput(req: LocalRequest, params: Record<string, string>): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  if (req.method === 'POST') {
    // An Invoke body is the event, not request fields; its header fields are what rules match.
    const type = header(req, 'x-amz-invocation-type');
    if (type !== undefined) body = { InvocationType: type };
  } else {
    try {
      body = parseJsonBody(req.body);
    } catch {
      body = {};
    }
  }
  return { ...Object.fromEntries(req.query), ...body, ...params };
}

function header(req: LocalRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
