import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppConfig } from './config';
import { defineApp } from './define-app';

/**
 * The CDK app (`npx cdk synth|deploy`): context `services` (default sentiment), `prefix` (hf-rollout),
 * `healthCheckSchedule` (rate(5 minutes)), `auth` (api-key) and, optionally, `prebuiltBundlesDir`
 * (deploy the local cloud's bundles instead of bundling again). cdk-nag's AwsSolutions pack checks
 * every synth; each exception is acknowledged where it is made, with its reason.
 */
const app = new App();
defineApp(app, readAppConfig(app.node));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
