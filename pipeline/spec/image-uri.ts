import type { ImageChoice } from './schema';

/**
 * Resolves the HuggingFace inference DLC (Deep Learning Container) image URI for a region from the
 * framework versions in the spec. The registry account differs by region and the image tag's OS suffix
 * by version combination (source: aws/sagemaker-python-sdk image_uri_config/huggingface.json and the
 * DLC release notes). Unknown combinations fail with the list of known ones; an explicit `uri` bypasses
 * the table.
 */

/** ECR registry accounts of the DLC images, by region; every other region uses DEFAULT_DLC_ACCOUNT. */
const DLC_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-northeast-3': '364406365360',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-south-1': '692866216735',
  'me-south-1': '217643126080',
  'us-gov-west-1': '442386744353',
};
const DEFAULT_DLC_ACCOUNT = '763104351884';

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
  if ('uri' in choice) return choice.uri;
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
        `Known combinations: ${known}. Pick one of them, or set model.image.uri to an image you know exists.`,
    );
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new ImageNotFoundError(`"${region}" is not an AWS region name; set AWS_REGION (e.g. us-east-1).`);
  }
  const account = DLC_ACCOUNTS[region] ?? DEFAULT_DLC_ACCOUNT;
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const suffix =
    choice.device === 'gpu' ? `gpu-${release.python}-${release.gpu}` : `cpu-${release.python}-${release.cpu}`;
  return `${account}.dkr.ecr.${region}.${domain}/huggingface-pytorch-inference:${release.pytorch}-transformers${release.transformers}-${suffix}`;
}
