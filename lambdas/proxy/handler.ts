import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logger } from '../shared/logger';
import { invokeEndpoint, readLivePointer } from './aws';
import { createProxy, type ProxyDeps, readProxyConfig } from './core';
import { emitRequestMetrics } from './metrics';
import { toProxyRequest } from './request';

/** Lambda handler signature of the inference API (API Gateway REST proxy events, payload v1). */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Builds the handler; tests replace the clock or other deps, Lambda uses the defaults. */
export function createHandler(overrides: Partial<ProxyDeps> = {}): ProxyHandler {
  const proxy = createProxy({
    invokeEndpoint,
    readLivePointer,
    emitMetrics: emitRequestMetrics,
    now: Date.now,
    log: logger,
    ...overrides,
  });
  return async (event, context) => {
    logger.addContext(context);
    return proxy(toProxyRequest(event), {
      config: readProxyConfig(process.env),
      requestId: context.awsRequestId,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
  };
}

/** Lambda entry point of the inference proxy. */
export const handler = createHandler();
