import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CachedMethods,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/proxy/core';
import { acknowledge } from '../nag';

/** Status codes whose error answers CloudFront must not cache (it would for 10 s by default). */
const UNCACHED_ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/** Properties of a service's CloudFront distribution. */
export interface InferenceCdnProps {
  readonly api: RestApi;
  /** Value CloudFront sends as `x-origin-verify`; the proxy refuses requests without it. */
  readonly originVerifyValue: string;
  /** Seconds `GET /model` answers are cached. */
  readonly modelCacheTtlSeconds: number;
  /** Put `x-api-key` in the /model cache key, so a cached answer is never served to a caller without a key. */
  readonly apiKeyInCacheKey: boolean;
  readonly comment: string;
  /**
   * Also answer plain HTTP viewers. The API key and the payloads then cross the internet in cleartext;
   * only for clients that cannot do TLS. Never a redirect: clients do not reliably re-send a POST body.
   * @default false - HTTPS only (plain HTTP is refused with 403)
   */
  readonly allowHttp?: boolean;
  /**
   * ARN of a WAF web ACL (scope CLOUDFRONT) to attach.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
}

/**
 * CloudFront in front of the inference API: HTTPS viewers (plain HTTP too only with `allowHttp`), all
 * methods, HTTPS-only to the origin, every viewer header but Host forwarded, caching off except a short TTL on `GET /model`.
 */
export class InferenceCdn extends Construct {
  /** The distribution. */
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: InferenceCdnProps) {
    super(scope, id);
    const origin = new RestApiOrigin(props.api, {
      customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originVerifyValue },
      readTimeout: Duration.seconds(30),
    });
    const viewerProtocolPolicy =
      props.allowHttp === true ? ViewerProtocolPolicy.ALLOW_ALL : ViewerProtocolPolicy.HTTPS_ONLY;
    const ttl = Duration.seconds(props.modelCacheTtlSeconds);
    const modelCachePolicy = new CachePolicy(this, 'ModelCachePolicy', {
      comment: `GET /model of ${props.comment}: ${props.modelCacheTtlSeconds} s`,
      defaultTtl: ttl,
      minTtl: Duration.seconds(0),
      maxTtl: ttl,
      headerBehavior: props.apiKeyInCacheKey
        ? CacheHeaderBehavior.allowList('x-api-key')
        : CacheHeaderBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      cookieBehavior: CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: props.comment,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      additionalBehaviors: {
        '/model': {
          origin,
          viewerProtocolPolicy,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachedMethods: CachedMethods.CACHE_GET_HEAD,
          cachePolicy: modelCachePolicy,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      errorResponses: UNCACHED_ERROR_CODES.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
      priceClass: PriceClass.PRICE_CLASS_100,
      httpVersion: HttpVersion.HTTP2_AND_3,
      ...(props.webAclArn === undefined ? {} : { webAclId: props.webAclArn }),
    });

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'A public inference API serves every country; restrict with a web ACL (webAclArn) where needed.',
    );
    if (props.webAclArn === undefined) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        props.apiKeyInCacheKey
          ? 'No web ACL by default (cost); callers need the API key and are throttled by the usage plan. Pass webAclArn to attach one.'
          : "No web ACL by default (cost); with auth 'none' the API is public by choice, limited by the API stage's throttling only. Pass webAclArn to attach one (e.g. rate-based rules).",
      );
    }
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      'API Gateway access logs record every request that reaches the origin; CloudFront standard logs would need a log bucket with ACLs.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate is used (no custom domain), so the minimum viewer TLS version cannot be raised; the origin side is TLS 1.2.',
    );
  }
}
