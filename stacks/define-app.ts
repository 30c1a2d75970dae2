import type { App, Environment } from 'aws-cdk-lib';
import type { AppConfig } from './config';
import { PipelineStack } from './pipeline-stack';
import { ServingStack } from './serving-stack';

/** The stacks of one deployment: a serving stack per service and the pipeline. */
export interface AppStacks {
  readonly serving: readonly ServingStack[];
  readonly pipeline: PipelineStack;
}

/**
 * Adds the app's stacks to `app`: `HfRollout-<service>` per service and `HfRollout-Pipeline`, which
 * deploys after them and knows them only by names (pipeline/names.ts): no cross-stack reference, so no
 * grant goes stale when a serving stack replaces a resource (see stacks/resource-arns.ts).
 */
export function defineApp(app: App, config: AppConfig, env?: Environment): AppStacks {
  const bundles =
    config.prebuiltBundlesDir === undefined ? {} : { prebuiltBundlesDir: config.prebuiltBundlesDir };
  // Without env the stacks are environment-agnostic (deploy to the CLI's account and region).
  const where = env === undefined ? {} : { env };
  const serving = config.services.map(
    (service) =>
      new ServingStack(app, `HfRollout-${service}`, {
        description: `HF rollout: inference API of the ${service} service (proxy, API Gateway, CloudFront)`,
        ...where,
        prefix: config.prefix,
        service,
        auth: config.auth,
        allowHttp: config.allowHttp,
        ...bundles,
      }),
  );
  const pipeline = new PipelineStack(app, 'HfRollout-Pipeline', {
    description:
      'HF rollout: rollout and health-check state machines, step functions, lock table, notifications',
    ...where,
    prefix: config.prefix,
    services: serving.map((s) => s.binding),
    healthCheckSchedule: config.healthCheckSchedule,
    ...bundles,
  });
  for (const stack of serving) {
    pipeline.addStackDependency(
      stack,
      "The pipeline attaches the serving stack's grant policies and passes its SageMaker role, by name",
    );
  }
  return { serving, pipeline };
}
