import type * as SageMakerRuntimeSdk from '@aws-sdk/client-sagemaker-runtime';
import type * as SsmSdk from '@aws-sdk/client-ssm';
import type * as LivePointerModule from '../shared/live-pointer';
import type { LivePointer } from '../shared/types';
import type { InvokeInput, InvokeOutput } from './core';

/**
 * The proxy's AWS calls. The SDK modules load on first use, not at cold start: SageMaker Runtime on
 * the first `POST /predict`, SSM only on the fallback path (ENDPOINT_NAME unset). Each client is made
 * once per container with default configuration (AWS_ENDPOINT_URL_* select the local cloud).
 */

let runtime:
  | Promise<{ client: SageMakerRuntimeSdk.SageMakerRuntimeClient; sdk: typeof SageMakerRuntimeSdk }>
  | undefined;
let ssm: Promise<{ client: SsmSdk.SSMClient; livePointer: typeof LivePointerModule }> | undefined;

/** Calls SageMaker Runtime InvokeEndpoint with the body bytes and headers as given. */
export async function invokeEndpoint(input: InvokeInput): Promise<InvokeOutput> {
  runtime ??= import('@aws-sdk/client-sagemaker-runtime').then((sdk) => ({
    sdk,
    client: new sdk.SageMakerRuntimeClient({}),
  }));
  const { client, sdk } = await runtime;
  const out = await client.send(
    new sdk.InvokeEndpointCommand({
      EndpointName: input.endpointName,
      Body: input.body,
      ContentType: input.contentType,
      Accept: input.accept,
      ...(input.customAttributes === undefined ? {} : { CustomAttributes: input.customAttributes }),
    }),
    { abortSignal: input.abortSignal },
  );
  return {
    body: out.Body ?? new Uint8Array(),
    contentType: out.ContentType,
    invokedProductionVariant: out.InvokedProductionVariant,
    customAttributes: out.CustomAttributes,
  };
}

/** Reads a service's live pointer from SSM (null: nothing deployed). */
export async function readLivePointer(prefix: string, service: string): Promise<LivePointer | null> {
  ssm ??= Promise.all([import('@aws-sdk/client-ssm'), import('../shared/live-pointer')]).then(
    ([sdk, livePointer]) => ({ client: new sdk.SSMClient({}), livePointer }),
  );
  const { client, livePointer } = await ssm;
  return livePointer.readLivePointer(client, prefix, service);
}
