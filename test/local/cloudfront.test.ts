import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
} from '@aws-sdk/client-cloudfront';
import { parseXml } from '../../local/protocol/xml';
import { eventually, startDataPlane, type DataPlaneHarness } from './data-plane-harness';

let h: DataPlaneHarness;
let cloudfront: CloudFrontClient;
let distributionId: string;
const heard: { distributionId: string; paths: readonly string[] }[] = [];

beforeEach(async () => {
  h = await startDataPlane({ timeScale: 0.002 }); // 60 AWS s of InProgress → 120 ms
  cloudfront = new CloudFrontClient(h.client);
  heard.length = 0;
  h.plane.onInvalidation((id, paths) => heard.push({ distributionId: id, paths }));
  distributionId = h.plane.provisionService(
    'demo',
    'http://127.0.0.1:4581/demo',
    'hf-rollout-demo-proxy',
  ).distributionId;
});

afterEach(async () => {
  cloudfront.destroy();
  await h.stop();
});

function invalidate(paths: string[], callerReference: string) {
  return cloudfront.send(
    new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: {
        CallerReference: callerReference,
        Paths: { Quantity: paths.length, Items: paths },
      },
    }),
  );
}

describe('CloudFront invalidations', () => {
  it('creates an invalidation (201, Location), tells listeners, and completes after the scaled delay', async () => {
    const out = await invalidate(['/model', '/predict*'], 'rollout-1');
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.Invalidation?.Id).toMatch(/^I[A-Z0-9]{13}$/);
    expect(out.Location).toBe(
      `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${out.Invalidation?.Id}`,
    );
    expect(out.Invalidation).toMatchObject({
      Status: 'InProgress',
      InvalidationBatch: {
        CallerReference: 'rollout-1',
        Paths: { Quantity: 2, Items: ['/model', '/predict*'] },
      },
    });
    expect(out.Invalidation?.CreateTime).toBeInstanceOf(Date);
    expect(heard).toEqual([{ distributionId, paths: ['/model', '/predict*'] }]);
    await eventually(
      () =>
        cloudfront.send(
          new GetInvalidationCommand({ DistributionId: distributionId, Id: out.Invalidation?.Id }),
        ),
      (got) => got.Invalidation?.Status === 'Completed',
    );
  });

  it('returns the existing invalidation for a repeated CallerReference and refuses a different batch under it', async () => {
    const first = await invalidate(['/*'], 'same');
    const again = await invalidate(['/*'], 'same');
    expect(again.Invalidation?.Id).toBe(first.Invalidation?.Id);
    expect(heard).toHaveLength(1);
    await expect(invalidate(['/other'], 'same')).rejects.toMatchObject({
      name: 'InvalidationBatchAlreadyExists',
    });
  });

  it('lists invalidations newest first', async () => {
    const a = await invalidate(['/a'], 'a');
    await new Promise((r) => setTimeout(r, 5));
    const b = await invalidate(['/b'], 'b');
    const list = await cloudfront.send(new ListInvalidationsCommand({ DistributionId: distributionId }));
    expect(list.InvalidationList?.Items?.map((i) => i.Id)).toEqual([b.Invalidation?.Id, a.Invalidation?.Id]);
    expect(list.InvalidationList).toMatchObject({ Quantity: 2, IsTruncated: false });
  });

  it('answers NoSuchDistribution (404) for an unknown distribution and InvalidArgument for a bad path', async () => {
    await expect(
      cloudfront.send(
        new CreateInvalidationCommand({
          DistributionId: 'E000000000000',
          InvalidationBatch: { CallerReference: 'x', Paths: { Quantity: 1, Items: ['/*'] } },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'NoSuchDistribution',
      message: 'The specified distribution does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(invalidate(['no-slash'], 'bad')).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('answers NoSuchInvalidation for an unknown id', async () => {
    await expect(
      cloudfront.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: 'INOPE' })),
    ).rejects.toMatchObject({ name: 'NoSuchInvalidation', $metadata: { httpStatusCode: 404 } });
  });
});

describe('the XML reader', () => {
  it('reads elements, text, entities and CDATA, ignoring the declaration, namespaces and attributes', () => {
    const root = parseXml(
      '<?xml version="1.0"?><a:Batch xmlns:a="urn:x" v="1"><Path>/a&amp;b</Path><!-- c --><Ref><![CDATA[<raw>]]></Ref><Empty/></a:Batch>',
    );
    expect(root.name).toBe('Batch');
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ['Path', '/a&b'],
      ['Ref', '<raw>'],
      ['Empty', ''],
    ]);
  });

  it('refuses malformed XML with MalformedXML', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/The XML you provided was not well-formed/);
  });
});
