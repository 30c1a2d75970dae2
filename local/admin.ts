import type { LocalRequest, LocalResponse, LocalService } from './protocol/types';
import { jsonResponse, matchRoute, restJsonError, type RestRoute } from './protocol/rest';
import { parseJsonBody } from './protocol/aws-json';
import type { FaultEngine, FaultRule } from './faults';
import { AwsError } from './protocol/errors';

/** What the admin API reaches into. */
export interface AdminDeps {
  readonly faults: FaultEngine;
  readonly info: () => Record<string, unknown>;
  readonly inventory: () => Record<string, unknown>;
  readonly provision: (service: string) => Promise<unknown>;
  readonly reset: () => Promise<void>;
}

type AdminHandler = (
  req: LocalRequest,
  params: Record<string, string>,
) => Promise<LocalResponse> | LocalResponse;

/**
 * The local cloud's own API under `/_local/` (not an AWS API): health, declared faults, inventory,
 * service provisioning (the local `cdk deploy` of a serving stack) and reset. Tests and the CLI use it.
 */
export function adminService(deps: AdminDeps): LocalService {
  const routes: RestRoute<AdminHandler>[] = [
    {
      method: 'GET',
      pattern: '/_local/health',
      operation: 'Health',
      handler: () => jsonResponse(200, { ok: true, ...deps.info() }),
    },
    {
      method: 'GET',
      pattern: '/_local/faults',
      operation: 'ListFaults',
      handler: () => jsonResponse(200, { faults: deps.faults.list(), fired: deps.faults.fired }),
    },
    {
      method: 'POST',
      pattern: '/_local/faults',
      operation: 'AddFaults',
      handler: (req) => {
        const body = parseJsonBody(req.body) as { faults?: unknown };
        const rules = Array.isArray(body.faults)
          ? (body.faults as FaultRule[])
          : [body as unknown as FaultRule];
        try {
          return jsonResponse(200, { faults: deps.faults.add(...rules) });
        } catch (error) {
          throw new AwsError('ValidationException', (error as Error).message);
        }
      },
    },
    {
      method: 'DELETE',
      pattern: '/_local/faults',
      operation: 'ClearFaults',
      handler: () => {
        deps.faults.clear();
        return jsonResponse(200, { faults: [] });
      },
    },
    {
      method: 'DELETE',
      pattern: '/_local/faults/{id}',
      operation: 'RemoveFault',
      handler: (_req, params) =>
        deps.faults.remove(params.id ?? '')
          ? jsonResponse(200, { removed: params.id })
          : jsonResponse(404, { message: `No fault ${params.id}` }),
    },
    {
      method: 'GET',
      pattern: '/_local/inventory',
      operation: 'Inventory',
      handler: () => jsonResponse(200, deps.inventory()),
    },
    {
      method: 'POST',
      pattern: '/_local/services',
      operation: 'ProvisionService',
      handler: async (req) => {
        const body = parseJsonBody(req.body) as { service?: unknown };
        if (
          typeof body.service !== 'string' ||
          !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(body.service) ||
          body.service.length > 20
        ) {
          throw new AwsError(
            'ValidationException',
            `"service" must be a lowercase service name of at most 20 characters; got ${JSON.stringify(body.service)}`,
          );
        }
        return jsonResponse(200, await deps.provision(body.service));
      },
    },
    {
      method: 'POST',
      pattern: '/_local/reset',
      operation: 'Reset',
      handler: async () => {
        await deps.reset();
        return jsonResponse(200, { reset: true });
      },
    },
  ];
  return {
    id: 'Local',
    matches: (req) => req.path.startsWith('/_local/'),
    async handle(req) {
      const found = matchRoute(routes, req);
      if (found === undefined)
        return jsonResponse(404, { message: `No local admin route ${req.method} ${req.path}` });
      try {
        return await found.route.handler(req, found.params);
      } catch (error) {
        return restJsonError(error);
      }
    },
  };
}
