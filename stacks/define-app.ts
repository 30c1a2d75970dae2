import type { App } from 'aws-cdk-lib';
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
 * reads each serving stack's binding (the distribution id and API key secret are stack references,
 * everything else is built from pipeline/names.ts) and deploys after them.
 */
export function defineApp(app: App, config: AppConfig): AppStacks {
  const bundles =
    config.prebuiltBundlesDir === undefined ? {} : { prebuiltBundlesDir: config.prebuiltBundlesDir };
  const serving = config.services.map(
    (service) =>
      new ServingStack(app, `HfRollout-${service}`, {
        description: `HF rollout: inference API of the ${service} service (proxy, API Gateway, CloudFront)`,
        prefix: config.prefix,
        service,
        auth: config.auth,
        ...bundles,
      }),
  );
  const pipeline = new PipelineStack(app, 'HfRollout-Pipeline', {
    description:
      'HF rollout: rollout and health-check state machines, step functions, lock table, notifications',
    prefix: config.prefix,
    services: serving.map((s) => s.binding),
    healthCheckSchedule: config.healthCheckSchedule,
    ...bundles,
  });
  for (const stack of serving) {
    pipeline.addStackDependency(stack, 'The pipeline grants access to its resources by name');
  }
  return { serving, pipeline };
}
