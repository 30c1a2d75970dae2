import type { ImageChoice } from './schema';

/**
 * Resolves the HuggingFace inference DLC (Deep Learning Container) image URI for a region from the
 * framework versions in the spec. The registry account differs by region and the image tag's OS suffix
 * by version combination (source: aws/sagemaker-python-sdk image_uri_config/huggingface.json and the
 * DLC release notes). Unknown combinations and regions without a published registry fail with the
 * list of known ones. There is no explicit-URI escape: the serving stack's SageMaker role may pull
 * only huggingface-pytorch-inference images (schema.ts refuses `model.image.uri`).
 */

/**
 * ECR registry account of the HuggingFace PyTorch inference DLC images, by region: every region the
 * SageMaker Python SDK publishes for `huggingface` inference images (sagemaker-core/src/sagemaker/core/
 * image_uri_config/huggingface.json, identical for every release in DLC_RELEASES). A region missing here
 * has no published image; it is refused rather than guessed.
 */
export const DLC_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-northeast-1': '763104351884',
  'ap-northeast-2': '763104351884',
  'ap-northeast-3': '364406365360',
  'ap-south-1': '763104351884',
  'ap-south-2': '772153158452',
  'ap-southeast-1': '763104351884',
  'ap-southeast-2': '763104351884',
  'ap-southeast-3': '907027046896',
  'ap-southeast-4': '457447274322',
  'ca-central-1': '763104351884',
  'ca-west-1': '204538143572',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-central-1': '763104351884',
  'eu-central-2': '380420809688',
  'eu-north-1': '763104351884',
  'eu-south-1': '692866216735',
  'eu-south-2': '503227376785',
  'eu-west-1': '763104351884',
  'eu-west-2': '763104351884',
  'eu-west-3': '763104351884',
  'il-central-1': '780543022126',
  'me-central-1': '914824155844',
  'me-south-1': '217643126080',
  'sa-east-1': '763104351884',
  'us-east-1': '763104351884',
  'us-east-2': '763104351884',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353',
  'us-iso-east-1': '886529160074',
  'us-isob-east-1': '094389454867',
  'us-west-1': '763104351884',
  'us-west-2': '763104351884',
};

/** A released HuggingFace PyTorch inference DLC: the versions it pairs and its OS/CUDA tag suffixes. */
interface DlcRelease {
  readonly transformers: string;
  readonly pytorch: string;
  readonly python: string;
  readonly cpu: string;
  readonly gpu: string;
}

/** Known releases, newest first. */
export const DLC_RELEASES: readonly DlcRelease[] = [
  { transformers: '4.49.0', pytorch: '2.6.0', python: 'py312', cpu: 'ubuntu22.04', gpu: 'cu124-ubuntu22.04' },
  { transformers: '4.37.0', pytorch: '2.1.0', python: 'py310', cpu: 'ubuntu22.04', gpu: 'cu118-ubuntu20.04' },
  { transformers: '4.28.1', pytorch: '2.0.0', python: 'py310', cpu: 'ubuntu20.04', gpu: 'cu118-ubuntu20.04' },
  { transformers: '4.26.0', pytorch: '1.13.1', python: 'py39', cpu: 'ubuntu20.04', gpu: 'cu117-ubuntu20.04' },
];

/** No DLC matches the requested versions (or the region has no DLC registry). */
export class ImageNotFoundError extends Error {
  override readonly name = 'ImageNotFoundError';
}

/** Returns the image URI for `choice` in `region`. */
export function resolveImageUri(choice: ImageChoice, region: string): string {
  const release = DLC_RELEASES.find(
    (r) =>
      r.transformers === choice.transformers && r.pytorch === choice.pytorch && r.python === choice.python,
  );
  if (release === undefined) {
    const known = DLC_RELEASES.map(
      (r) => `transformers ${r.transformers} + pytorch ${r.pytorch} + ${r.python}`,
    ).join('; ');
    throw new ImageNotFoundError(
      `No HuggingFace inference DLC for transformers ${choice.transformers} + pytorch ${choice.pytorch} + ${choice.python}. ` +
        `Known combinations: ${known}. Pick one of them (the serving stack's SageMaker role may pull only these images).`,
    );
  }
  const account = DLC_ACCOUNTS[region];
  if (account === undefined) {
    throw new ImageNotFoundError(
      `No HuggingFace inference DLC registry is published for region "${region}". ` +
        `Supported regions: ${Object.keys(DLC_ACCOUNTS).join(', ')}. ` +
        'Deploy in one of them.',
    );
  }
  const domain = ecrDomain(region);
  const suffix =
    choice.device === 'gpu' ? `gpu-${release.python}-${release.gpu}` : `cpu-${release.python}-${release.cpu}`;
  return `${account}.dkr.ecr.${region}.${domain}/huggingface-pytorch-inference:${release.pytorch}-transformers${release.transformers}-${suffix}`;
}

/** DNS suffix of ECR in a region's partition (China, the two ISO partitions, or the commercial one). */
function ecrDomain(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  return 'amazonaws.com';
}
