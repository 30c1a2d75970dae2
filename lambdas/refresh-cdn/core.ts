import { CreateInvalidationCommand, type CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { RolloutState } from '../shared/types';

/** What Refresh CDN needs from outside. */
export interface RefreshCdnDeps {
  readonly cloudfront: CloudFrontClient;
}

/** Cached paths that describe the deployment; POST /predict is never cached, so it needs nothing. */
export const INVALIDATED_PATHS = ['/model', '/model*'] as const;

/**
 * Invalidates the CDN's cached `GET /model` so viewers see the new deployment. The CallerReference is
 * derived from the rollout id only, so a retried step asks for the same invalidation and CloudFront
 * returns the existing one instead of creating another. It does not wait for completion (minutes):
 * Verify Public API retries until the edge answers from the new endpoint.
 */
export async function refreshCdnCore(state: RolloutState, deps: RefreshCdnDeps): Promise<RolloutState> {
  const distributionId = state.service.distributionId;
  if (distributionId === null) return state;
  const out = await deps.cloudfront.send(
    new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: {
        CallerReference: callerReference(state.rolloutId),
        Paths: { Quantity: INVALIDATED_PATHS.length, Items: [...INVALIDATED_PATHS] },
      },
    }),
  );
  return { ...state, cdnInvalidationId: out.Invalidation?.Id ?? null };
}

/** The invalidation's idempotency key: one per rollout, the same on every retry. */
export function callerReference(rolloutId: string): string {
  return `${rolloutId}-refresh-cdn`;
}
