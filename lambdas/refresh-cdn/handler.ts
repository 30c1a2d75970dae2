import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { rolloutStep } from '../shared/step';
import { refreshCdnCore } from './core';

const cloudfront = new CloudFrontClient({});

/** Refresh CDN: invalidates the cached `GET /model` answers. */
export const handler = rolloutStep('Refresh CDN', (state) => refreshCdnCore(state, { cloudfront }));
