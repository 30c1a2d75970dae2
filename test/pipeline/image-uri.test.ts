import {
  DLC_ACCOUNTS,
  DLC_RELEASES,
  ImageNotFoundError,
  resolveImageUri,
} from '../../pipeline/spec/image-uri';
import { SpecInvalidError } from '../../pipeline/spec/errors';
import { validateSpec } from '../../pipeline/spec/validate';

/**
 * The registry accounts the SageMaker Python SDK publishes for the `huggingface` inference images
 * (framework pytorch, repository huggingface-pytorch-inference), grouped by account: aws/sagemaker-python-sdk
 * at commit a24812666d258d9d19c9a82d0c9385ca0bd3ba01, sagemaker-core/src/sagemaker/core/image_uri_config/
 * huggingface.json, `inference.versions.<transformers>.pytorch<version>.registries` for 4.26.0/1.13.1,
 * 4.28.1/2.0.0, 4.37.0/2.1.0 and 4.49.0/2.6.0 (the four lists are identical). Transcribed by hand in this
 * shape, apart from the table in pipeline/spec/image-uri.ts, so one can catch a slip in the other.
 */
const PUBLISHED: Readonly<Record<string, readonly string[]>> = {
  '763104351884': [
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-south-1',
    'ap-southeast-1',
    'ap-southeast-2',
    'ca-central-1',
    'eu-central-1',
    'eu-north-1',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'sa-east-1',
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
  ],
  '727897471807': ['cn-north-1', 'cn-northwest-1'],
  '626614931356': ['af-south-1'],
  '780543022126': ['il-central-1'],
  '871362719292': ['ap-east-1'],
  '364406365360': ['ap-northeast-3'],
  '772153158452': ['ap-south-2'],
  '907027046896': ['ap-southeast-3'],
  '457447274322': ['ap-southeast-4'],
  '380420809688': ['eu-central-2'],
  '692866216735': ['eu-south-1'],
  '503227376785': ['eu-south-2'],
  '217643126080': ['me-south-1'],
  '914824155844': ['me-central-1'],
  '446045086412': ['us-gov-east-1'],
  '442386744353': ['us-gov-west-1'],
  '886529160074': ['us-iso-east-1'],
  '094389454867': ['us-isob-east-1'],
  '204538143572': ['ca-west-1'],
};

const publishedByRegion = new Map(
  Object.entries(PUBLISHED).flatMap(([account, regions]) => regions.map((r) => [r, account] as const)),
);

/** The nine regions issue 10 found wrong (they fell back to 763104351884 before). */
const ONCE_WRONG = [
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ca-west-1',
  'eu-central-2',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'us-gov-east-1',
];

const latest = { transformers: '4.49.0', pytorch: '2.6.0', python: 'py312', device: 'cpu' } as const;

describe('resolveImageUri registry table', () => {
  it('carries exactly the published regions, each with its published account', () => {
    expect(Object.keys(DLC_ACCOUNTS).sort()).toEqual([...publishedByRegion.keys()].sort());
    expect(publishedByRegion.size).toBe(35);
    for (const [region, account] of publishedByRegion) {
      expect({ region, account: DLC_ACCOUNTS[region] }).toEqual({ region, account });
    }
  });

  it.each([...publishedByRegion])('resolves every release in %s to registry %s', (region, account) => {
    for (const r of DLC_RELEASES) {
      const uri = resolveImageUri(
        { ...latest, transformers: r.transformers, pytorch: r.pytorch, python: r.python },
        region,
      );
      expect(uri.startsWith(`${account}.dkr.ecr.${region}.`)).toBe(true);
      expect(uri).toContain(`/huggingface-pytorch-inference:${r.pytorch}-transformers${r.transformers}-cpu-`);
    }
  });

  it.each(ONCE_WRONG)('no longer falls back to 763104351884 in %s', (region) => {
    expect(resolveImageUri(latest, region)).not.toMatch(/^763104351884\./);
  });

  it('uses the partition DNS suffix of China and the ISO regions', () => {
    expect(resolveImageUri(latest, 'cn-north-1')).toMatch(
      /^727897471807\.dkr\.ecr\.cn-north-1\.amazonaws\.com\.cn\//,
    );
    expect(resolveImageUri(latest, 'us-iso-east-1')).toMatch(/\.dkr\.ecr\.us-iso-east-1\.c2s\.ic\.gov\//);
    expect(resolveImageUri(latest, 'us-isob-east-1')).toMatch(
      /\.dkr\.ecr\.us-isob-east-1\.sc2s\.sgov\.gov\//,
    );
    expect(resolveImageUri(latest, 'eu-central-2')).toBe(
      '380420809688.dkr.ecr.eu-central-2.amazonaws.com/huggingface-pytorch-inference:2.6.0-transformers4.49.0-cpu-py312-ubuntu22.04',
    );
  });

  it.each(['ap-southeast-5', 'mx-central-1', 'eu-west-9', 'not-a-region', ''])(
    'rejects region "%s" without a published registry, naming it and the supported regions',
    (region) => {
      const call = () => resolveImageUri(latest, region);

      expect(call).toThrow(ImageNotFoundError);
      expect(call).toThrow(`No HuggingFace inference DLC registry is published for region "${region}"`);
      expect(call).toThrow(/Supported regions: af-south-1, ap-east-1, .*, us-west-2\./);
      expect(call).toThrow(/Deploy in one of them\.$/);
      // No escape to an explicit URI: the serving stack's SageMaker role could not pull it.
      expect(call).not.toThrow(/image\.uri/);
    },
  );

  it('offers no explicit image URI: a spec with model.image.uri is refused before any region is resolved', () => {
    const spec = {
      service: 'sentiment',
      model: {
        id: 'org/model',
        task: 'text-classification',
        image: { uri: '111122223333.dkr.ecr.ap-southeast-5.amazonaws.com/my-image:1' },
      },
      smokeTests: [{ name: 'ok', body: { inputs: 'x' } }],
    };

    expect(() => validateSpec(spec)).toThrow(SpecInvalidError);
    expect(() => validateSpec(spec)).toThrow(/\$\.model\.image\.uri: .*huggingface-pytorch-inference/);
  });
});
