import { awsRequest, errorFrom, SAGEMAKER_RUNTIME, SSM } from '../../../lambdas/shared/aws-http';
import { FakeAwsHttp, okJson, wireError } from '../support/fake-aws-http';

let aws: FakeAwsHttp;
const SAVED_ENV = { ...process.env };

beforeAll(async () => {
  aws = await FakeAwsHttp.start();
});
beforeEach(() => {
  aws.reset();
  process.env = { ...SAVED_ENV, ...aws.env() };
});
afterAll(async () => {
  process.env = SAVED_ENV;
  await aws.close();
});

const invoke = (endpoint: string) =>
  awsRequest(SAGEMAKER_RUNTIME, {
    method: 'POST',
    path: `/endpoints/${endpoint}/invocations`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: Buffer.from('{"inputs":"x"}'),
  });

describe('awsRequest', () => {
  it('sends a SigV4-signed request with the session token to AWS_ENDPOINT_URL', async () => {
    aws.invoke.resolves({ kind: 'ok', headers: { 'content-type': 'application/json' }, body: '[1]' });

    const res = await invoke('ep-1');

    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('[1]');
    expect(aws.invoke.calls).toEqual([
      expect.objectContaining({
        EndpointName: 'ep-1',
        ContentType: 'application/json',
        signatureValid: true,
      }),
    ]);
  });

  it('prefers the service-specific AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL, as the SDK does', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    process.env.AWS_ENDPOINT_URL_SSM = aws.url;
    aws.ssm.resolves(okJson({ Parameter: { Value: 'v' } }));

    const res = await awsRequest(SSM, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: Buffer.from('{"Name":"/a"}'),
    });

    expect(JSON.parse(res.body.toString())).toEqual({ Parameter: { Value: 'v' } });
    expect(aws.ssm.calls[0]).toMatchObject({
      target: 'AmazonSSM.GetParameter',
      input: { Name: '/a' },
      signatureValid: true,
    });
  });

  it('fails with an SDK-shaped error naming the AWS error code and carrying the body fields', async () => {
    aws.invoke.rejects(
      wireError('ModelError', 'Received server error (500)', 424, { OriginalStatusCode: 500 }),
    );

    await expect(invoke('ep-1')).rejects.toMatchObject({
      name: 'ModelError',
      message: 'Received server error (500)',
      $metadata: { httpStatusCode: 424 },
      OriginalStatusCode: 500,
    });
  });

  it('fails without credentials in the environment, naming them', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;

    await expect(invoke('ep-1')).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
    expect(aws.invoke.calls).toHaveLength(0);
  });

  it('fails with the connection error when the server drops the connection', async () => {
    aws.invoke.resolves({ kind: 'drop' });

    await expect(invoke('ep-1')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('errorFrom', () => {
  it('reads awsJson error types with a namespace and restJson types with a suffix', () => {
    const json = errorFrom({
      status: 400,
      headers: {},
      body: Buffer.from('{"__type":"com.amazonaws.ssm#ParameterNotFound","message":""}'),
    });
    const rest = errorFrom({
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationError:http://internal.amazon.com/coral/' },
      body: Buffer.from('{"Message":"Endpoint x not found."}'),
    });

    expect([json.name, rest.name, rest.message]).toEqual([
      'ParameterNotFound',
      'ValidationError',
      'Endpoint x not found.',
    ]);
  });

  it('names a 5xx answer without an error type InternalFailure', () => {
    const error = errorFrom({ status: 502, headers: {}, body: Buffer.from('<html>bad gateway</html>') });

    expect([error.name, error.$fault, error.$metadata.httpStatusCode]).toEqual([
      'InternalFailure',
      'server',
      502,
    ]);
  });
});
