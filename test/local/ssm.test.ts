import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { startDataPlane, type DataPlaneHarness } from './data-plane-harness';

let h: DataPlaneHarness;
let ssm: SSMClient;

beforeEach(async () => {
  h = await startDataPlane();
  ssm = new SSMClient(h.client);
});

afterEach(async () => {
  ssm.destroy();
  await h.stop();
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('SSM Parameter Store', () => {
  it('puts and gets a parameter, with version, ARN and modification date', async () => {
    const put = await ssm.send(
      new PutParameterCommand({ Name: '/app/svc/live', Value: '{"a":1}', Type: 'String' }),
    );
    expect(put).toMatchObject({ Version: 1, Tier: 'Standard' });
    const got = await ssm.send(new GetParameterCommand({ Name: '/app/svc/live' }));
    expect(got.Parameter).toMatchObject({
      Name: '/app/svc/live',
      Type: 'String',
      Value: '{"a":1}',
      Version: 1,
      ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/app/svc/live',
      DataType: 'text',
    });
    expect(got.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
  });

  it('refuses to overwrite without Overwrite, with AWS message, and increments the version with it', async () => {
    await ssm.send(new PutParameterCommand({ Name: 'p', Value: 'one', Type: 'String' }));
    await expect(
      failure(ssm.send(new PutParameterCommand({ Name: 'p', Value: 'two', Type: 'String' }))),
    ).resolves.toEqual({
      name: 'ParameterAlreadyExists',
      message:
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      status: 400,
    });
    const put = await ssm.send(new PutParameterCommand({ Name: 'p', Value: 'two', Overwrite: true }));
    expect(put.Version).toBe(2);
    expect((await ssm.send(new GetParameterCommand({ Name: 'p' }))).Parameter).toMatchObject({
      Value: 'two',
      Type: 'String',
    });
    expect((await ssm.send(new GetParameterCommand({ Name: 'p:1' }))).Parameter).toMatchObject({
      Value: 'one',
      Version: 1,
    });
  });

  it('answers ParameterNotFound for a missing parameter on get and delete', async () => {
    await expect(failure(ssm.send(new GetParameterCommand({ Name: '/missing' })))).resolves.toMatchObject({
      name: 'ParameterNotFound',
      status: 400,
    });
    await expect(failure(ssm.send(new DeleteParameterCommand({ Name: '/missing' })))).resolves.toMatchObject({
      name: 'ParameterNotFound',
    });
  });

  it('deletes a parameter', async () => {
    await ssm.send(new PutParameterCommand({ Name: 'gone', Value: 'x', Type: 'String' }));
    await ssm.send(new DeleteParameterCommand({ Name: 'gone' }));
    await expect(failure(ssm.send(new GetParameterCommand({ Name: 'gone' })))).resolves.toMatchObject({
      name: 'ParameterNotFound',
    });
  });

  it('refuses a Standard value over 4096 characters with the AWS message, and takes it in the Advanced tier', async () => {
    const big = 'x'.repeat(4097);
    const error = await failure(
      ssm.send(new PutParameterCommand({ Name: 'big', Value: big, Type: 'String' })),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(
      /^Standard tier parameters support a maximum parameter value of 4096 characters\./,
    );
    await expect(
      ssm.send(new PutParameterCommand({ Name: 'big', Value: big, Type: 'String', Tier: 'Advanced' })),
    ).resolves.toMatchObject({ Tier: 'Advanced' });
  });

  it('counts the 4 KB and 8 KB tier limits in bytes of UTF-8, not characters', async () => {
    const twoByteChars = 'é'.repeat(2049); // 2,049 characters, 4,098 bytes

    const standard = await failure(
      ssm.send(new PutParameterCommand({ Name: 'utf8', Value: twoByteChars, Type: 'String' })),
    );
    const advanced = await failure(
      ssm.send(
        new PutParameterCommand({
          Name: 'utf8-big',
          Value: 'é'.repeat(4097),
          Type: 'String',
          Tier: 'Advanced',
        }),
      ),
    );

    expect(standard).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(standard.message).toMatch(/^Standard tier parameters support a maximum parameter value of 4096/);
    expect(advanced).toMatchObject({
      name: 'ValidationException',
      message: 'Advanced tier parameters support a maximum parameter value of 8192 characters.',
    });
    await expect(
      ssm.send(
        new PutParameterCommand({ Name: 'fits', Value: 'x'.repeat(8192), Type: 'String', Tier: 'Advanced' }),
      ),
    ).resolves.toMatchObject({ Tier: 'Advanced' });
  });

  it('picks Advanced under Intelligent-Tiering only when the value needs it, and never downgrades', async () => {
    const small = await ssm.send(
      new PutParameterCommand({
        Name: 'it',
        Value: 'x'.repeat(4096),
        Type: 'String',
        Tier: 'Intelligent-Tiering',
      }),
    );
    const grown = await ssm.send(
      new PutParameterCommand({
        Name: 'it',
        Value: 'x'.repeat(4097),
        Type: 'String',
        Tier: 'Intelligent-Tiering',
        Overwrite: true,
      }),
    );
    const shrunk = await ssm.send(
      new PutParameterCommand({
        Name: 'it',
        Value: 'x',
        Type: 'String',
        Tier: 'Intelligent-Tiering',
        Overwrite: true,
      }),
    );
    const tooBig = await failure(
      ssm.send(
        new PutParameterCommand({
          Name: 'it',
          Value: 'x'.repeat(8193),
          Type: 'String',
          Tier: 'Intelligent-Tiering',
          Overwrite: true,
        }),
      ),
    );
    const downgrade = await failure(
      ssm.send(
        new PutParameterCommand({
          Name: 'it',
          Value: 'x',
          Type: 'String',
          Tier: 'Standard',
          Overwrite: true,
        }),
      ),
    );
    const defaultTier = await failure(
      ssm.send(new PutParameterCommand({ Name: 'it', Value: 'x', Type: 'String', Overwrite: true })),
    );
    const badTier = await failure(
      ssm.send(
        new PutParameterCommand({ Name: 'other', Value: 'x', Type: 'String', Tier: 'Premium' as never }),
      ),
    );

    expect([small.Tier, grown.Tier, shrunk.Tier]).toEqual(['Standard', 'Advanced', 'Advanced']);
    expect(tooBig.message).toBe(
      'Advanced tier parameters support a maximum parameter value of 8192 characters.',
    );
    expect(downgrade).toMatchObject({ name: 'ValidationException' });
    expect(downgrade.message).toMatch(
      /^This parameter uses the advanced-parameter tier\. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier\./,
    );
    expect(defaultTier.message).toBe(downgrade.message);
    expect(badTier.message).toBe(
      "1 validation error detected: Value 'Premium' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]",
    );
    const kept = await ssm.send(new GetParameterCommand({ Name: 'it' }));
    expect(kept.Parameter).toMatchObject({ Value: 'x', Version: 3 });
  });

  it('requires a Type when creating', async () => {
    await expect(
      failure(ssm.send(new PutParameterCommand({ Name: 'untyped', Value: 'x' }))),
    ).resolves.toMatchObject({
      name: 'ValidationException',
      message: 'A parameter type is required when you create a parameter.',
    });
  });

  it('returns SecureString values only WithDecryption, and StringList as stored', async () => {
    await ssm.send(new PutParameterCommand({ Name: 'secret', Value: 'hunter2', Type: 'SecureString' }));
    await ssm.send(new PutParameterCommand({ Name: 'list', Value: 'a,b,c', Type: 'StringList' }));
    expect((await ssm.send(new GetParameterCommand({ Name: 'secret' }))).Parameter?.Value).not.toBe(
      'hunter2',
    );
    expect(
      (await ssm.send(new GetParameterCommand({ Name: 'secret', WithDecryption: true }))).Parameter?.Value,
    ).toBe('hunter2');
    expect((await ssm.send(new GetParameterCommand({ Name: 'list' }))).Parameter).toMatchObject({
      Type: 'StringList',
      Value: 'a,b,c',
    });
  });

  it('gets several parameters, listing the missing ones as invalid', async () => {
    await ssm.send(new PutParameterCommand({ Name: 'a', Value: '1', Type: 'String' }));
    const out = await ssm.send(new GetParametersCommand({ Names: ['a', 'b'] }));
    expect(out.Parameters?.map((p) => p.Name)).toEqual(['a']);
    expect(out.InvalidParameters).toEqual(['b']);
  });

  it('gets parameters by path, one level or recursively, page by page', async () => {
    for (const name of ['/r/s1/service', '/r/s1/live', '/r/s2/service', '/r/top', '/other/x']) {
      await ssm.send(new PutParameterCommand({ Name: name, Value: name, Type: 'String' }));
    }
    const oneLevel = await ssm.send(new GetParametersByPathCommand({ Path: '/r' }));
    expect(oneLevel.Parameters?.map((p) => p.Name)).toEqual(['/r/top']);
    const page1 = await ssm.send(
      new GetParametersByPathCommand({ Path: '/r/', Recursive: true, MaxResults: 2 }),
    );
    expect(page1.Parameters?.map((p) => p.Name)).toEqual(['/r/s1/live', '/r/s1/service']);
    const page2 = await ssm.send(
      new GetParametersByPathCommand({
        Path: '/r/',
        Recursive: true,
        MaxResults: 2,
        NextToken: page1.NextToken,
      }),
    );
    expect(page2.Parameters?.map((p) => p.Name)).toEqual(['/r/s2/service', '/r/top']);
    expect(page2.NextToken).toBeUndefined();
  });

  it('describes parameters filtered by name prefix', async () => {
    await ssm.send(
      new PutParameterCommand({ Name: '/hf/a', Value: '1', Type: 'String', Description: 'first' }),
    );
    await ssm.send(new PutParameterCommand({ Name: '/zz/b', Value: '1', Type: 'SecureString' }));
    const out = await ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/hf/'] }],
      }),
    );
    expect(out.Parameters).toEqual([
      expect.objectContaining({
        Name: '/hf/a',
        Type: 'String',
        Version: 1,
        Tier: 'Standard',
        Description: 'first',
      }),
    ]);
  });

  it('answers a declared fault on an SSM operation', async () => {
    h.faults.add({
      operation: 'SSM.GetParameter',
      match: { Name: '/flaky/*' },
      outcome: { error: 'ThrottlingException' },
    });
    await ssm.send(new PutParameterCommand({ Name: '/flaky/x', Value: '1', Type: 'String' }));
    await expect(failure(ssm.send(new GetParameterCommand({ Name: '/flaky/x' })))).resolves.toMatchObject({
      name: 'ThrottlingException',
    });
  });
});
