import { awsRequest, SAGEMAKER_RUNTIME, SSM } from '../shared/aws-http';
import { parseLivePointer } from '../shared/live-pointer-format';
import { liveParameterName } from '../../pipeline/names';
import type { LivePointer } from '../shared/types';
import type { InvokeInput, InvokeOutput } from './core';

/**
 * The proxy's two AWS calls, over the lean signed-HTTP client (lambdas/shared/aws-http.ts) rather
 * than SDK clients: the SDK would be most of the proxy's cold start. Endpoints, region and
 * credentials come from the same environment variables the SDK reads.
 */

/** SageMaker Runtime InvokeEndpoint with the body bytes and headers as given. */
export async function invokeEndpoint(input: InvokeInput): Promise<InvokeOutput> {
  const headers: Record<string, string> = { 'content-type': input.contentType, accept: input.accept };
  if (input.customAttributes !== undefined)
    headers['x-amzn-sagemaker-custom-attributes'] = input.customAttributes;
  const res = await awsRequest(SAGEMAKER_RUNTIME, {
    method: 'POST',
    path: `/endpoints/${encodeURIComponent(input.endpointName)}/invocations`,
    headers,
    body: input.body,
    signal: input.abortSignal,
  });
  return {
    body: res.body,
    contentType: res.headers['content-type'],
    invokedProductionVariant: res.headers['x-amzn-invoked-production-variant'],
    customAttributes: res.headers['x-amzn-sagemaker-custom-attributes'],
  };
}

/** Reads a service's live pointer from SSM GetParameter (null: nothing deployed). */
export async function readLivePointer(prefix: string, service: string): Promise<LivePointer | null> {
  const name = liveParameterName(prefix, service);
  try {
    const res = await awsRequest(SSM, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: Buffer.from(JSON.stringify({ Name: name })),
    });
    const value = (JSON.parse(res.body.toString('utf8')) as { Parameter?: { Value?: string } }).Parameter
      ?.Value;
    return value === undefined ? null : parseLivePointer(value, name);
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return null;
    throw error;
  }
}
