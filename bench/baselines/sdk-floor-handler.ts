import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

/**
 * Reference, not an alternative: the least a Node handler that calls InvokeEndpoint with the AWS SDK
 * v3 can do (a module-scope client, one call, no checks), bundled with the catalog's BUNDLING. Its
 * cold start is the floor any SDK-based Node proxy stands on.
 */

const client = new SageMakerRuntimeClient({});

/** Passes the body to the endpoint named by ENDPOINT_NAME and returns the answer. */
export async function handler(event: {
  readonly body: string;
}): Promise<{ statusCode: number; body: string }> {
  const out = await client.send(
    new InvokeEndpointCommand({
      EndpointName: process.env.ENDPOINT_NAME,
      Body: event.body,
      ContentType: 'application/json',
    }),
  );
  return { statusCode: 200, body: Buffer.from(out.Body ?? new Uint8Array()).toString('utf8') };
}
