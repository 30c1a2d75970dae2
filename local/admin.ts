import { createHash, timingSafeEqual } from 'node:crypto';
import type { LocalRequest, LocalResponse, LocalService } from './protocol/types';
import { jsonResponse, matchRoute, restJsonError, type RestRoute } from './protocol/rest';
import { parseJsonBody } from './protocol/aws-json';
import type { FaultEngine, FaultRule } from './faults';
import { AwsError } from './protocol/errors';

/** What the admin API reaches into. */
export interface AdminDeps {
  readonly faults: FaultEngine;
  /** The per-run token every route but health requires (header `x-local-admin-token`). */
  readonly token: string;
  /** This run's id; a shutdown request must name it. */
  readonly instanceId: string;
  /** Asks the process owning the cloud to stop it; false when nobody listens (an embedded cloud). */
  readonly shutdown: () => boolean;
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
      pattern: '/_local/shutdown',
      operation: 'Shutdown',
      handler: (req) => {
        const body = parseJsonBody(req.body) as { instanceId?: unknown };
        if (body.instanceId !== deps.instanceId) {
          // `rollout down` names the run it read from cloud.json: a different run is not the one it means.
          return jsonResponse(409, {
            message: `This local cloud is instance ${deps.instanceId}, not ${JSON.stringify(body.instanceId ?? null)}.`,
          });
        }
        if (!deps.shutdown()) {
          return jsonResponse(409, {
            message:
              'This local cloud runs inside another command and stops with it; it cannot be shut down remotely.',
          });
        }
        return jsonResponse(202, { stopping: true, instanceId: deps.instanceId });
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
      // Health (no secrets: URLs, pid, instance id) stays open so `--endpoint` can find the edge.
      const open = req.method === 'GET' && req.path === '/_local/health';
      if (!open && !tokenMatches(req.headers[ADMIN_TOKEN_HEADER], deps.token)) {
        return jsonResponse(403, {
          message:
            `The local admin API needs this run's token in the ${ADMIN_TOKEN_HEADER} header: ` +
            'read it from admin-token beside cloud.json in the data folder (mode 0600).',
        });
      }
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

/** Header that carries the admin token. */
export const ADMIN_TOKEN_HEADER = 'x-local-admin-token';

/** Constant-time comparison (hashes first, so lengths do not leak either). */
function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}
