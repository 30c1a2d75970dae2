import { PROXY_FUNCTION } from '../lambdas/catalog';
import { DEFAULT_PREFIX } from '../pipeline/names';
import { cleanEnv } from './child-process';
import type { LocalEndpoint } from './local-endpoint';

/** Service name the proxy variants run as. */
export const BENCH_SERVICE = 'bench';

/** What the Lambda service sets in every execution environment (the parts SDKs and Powertools read). */
function lambdaRuntimeEnv(functionName: string, runtime: string): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(PROXY_FUNCTION.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_EXECUTION_ENV: runtime,
    TZ: ':UTC',
  };
}

/**
 * The proxy's environment as deployed (PROXY_FUNCTION.environment, ENDPOINT_NAME as Switch API
 * Target sets it), the Lambda runtime's variables and the local cloud's endpoint and dummy credentials.
 */
export function nodeProxyEnv(
  local: LocalEndpoint,
  endpointName = local.endpointName,
): Record<string, string> {
  return cleanEnv({
    ...lambdaRuntimeEnv('bench-proxy', 'AWS_Lambda_nodejs22.x'),
    ...PROXY_FUNCTION.environment({
      prefix: DEFAULT_PREFIX,
      service: BENCH_SERVICE,
      originVerifySecret: null,
    }),
    ENDPOINT_NAME: endpointName,
    // The SDK warns once per process on Node 20 (it will require Node 22); Lambda runs nodejs22.x,
    // where there is no warning, so the warning's cost is not counted.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...local.clientEnv,
  });
}

/** The Python baseline's environment: ENDPOINT_NAME, the Lambda runtime's variables and the local cloud. */
export function pythonProxyEnv(
  local: LocalEndpoint,
  endpointName = local.endpointName,
): Record<string, string> {
  return cleanEnv({
    ...lambdaRuntimeEnv('bench-python-proxy', 'AWS_Lambda_python3.11'),
    ENDPOINT_NAME: endpointName,
    ...local.clientEnv,
  });
}
