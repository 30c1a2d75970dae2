import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured (JSON) logger of a Lambda; its service name comes from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hf-rollout' });
