import { readFileSync } from 'node:fs';
import { SpecInvalidError, validateSpec, parseSpec } from '../../pipeline/spec';

const minimal = {
  service: 'sentiment',
  model: { id: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english', task: 'text-classification' },
  smokeTests: [{ name: 'positive', body: { inputs: 'I love this' } }],
};

function issuesOf(input: unknown): string[] {
  try {
    validateSpec(input);
  } catch (error) {
    if (error instanceof SpecInvalidError) return error.issues.map((i) => i.path);
    throw error;
  }
  throw new Error('expected the spec to be rejected');
}

function rejection(input: unknown): SpecInvalidError {
  try {
    validateSpec(input);
  } catch (error) {
    if (error instanceof SpecInvalidError) return error;
    throw error;
  }
  throw new Error('expected the spec to be rejected');
}

describe('validateSpec', () => {
  it('fills every default of a minimal spec', () => {
    const spec = validateSpec(minimal);
    expect(spec.model.revision).toBe('main');
    expect(spec.endpoint).toEqual({
      type: 'realtime',
      instanceType: 'ml.m5.xlarge',
      initialInstanceCount: 1,
    });
    expect(spec.rollout).toEqual({
      pollIntervalSeconds: 30,
      maxWaitMinutes: 60,
      keepPreviousEndpoints: 1,
      verifyPublicUrl: true,
    });
    expect(spec.smokeTests[0]?.expect).toEqual({ status: 200, jsonPaths: [], maxLatencyMs: 5000 });
    expect(spec.healthCheck).toEqual({ autoRollback: false, failuresBeforeRollback: 3 });
  });

  it('rejects a smoke test body over 16 KiB of UTF-8 JSON, naming its path and the limit', () => {
    // 8,200 two-byte characters: 16,400 bytes as JSON, yet under 16 KiB in characters.
    const body = { inputs: 'é'.repeat(8200) };
    const spec = { ...minimal, smokeTests: [minimal.smokeTests[0], { name: 'big', body }] };

    const error = rejection(spec);

    expect(error.issues.map((i) => i.path)).toEqual(['$.smokeTests[1].body']);
    expect(error.issues[0]?.expected).toBe('a body of at most 16 KiB as JSON (this one is 16413 bytes)');
  });

  it('rejects a spec over 64 KiB as JSON with its defaults, naming $ and the limit', () => {
    const smokeTests = Array.from({ length: 5 }, (_, i) => ({
      name: `test ${i}`,
      body: { inputs: 'x'.repeat(14_000) },
    }));

    const error = rejection({ ...minimal, smokeTests });

    expect(error.issues.map((i) => i.path)).toEqual(['$']);
    expect(error.issues[0]?.expected).toMatch(
      /^a spec of at most 64 KiB as JSON with its defaults \(this one is \d+ bytes; the rollout carries it in a Step Functions state of 256 KiB\)/,
    );
    expect(validateSpec({ ...minimal, smokeTests: smokeTests.slice(0, 4) }).smokeTests).toHaveLength(4);
  });

  it('rejects a misspelt task and suggests the right one', () => {
    const bad = { ...minimal, model: { ...minimal.model, task: 'text-clasification' } };
    expect(() => validateSpec(bad)).toThrow(
      '$.model.task: got "text-clasification"; expected "text-classification" (did you mean it?)',
    );
  });

  it('rejects unknown fields by their path', () => {
    expect(issuesOf({ ...minimal, endpoint: { type: 'realtime', instanceTyp: 'ml.m5.large' } })).toEqual([
      '$.endpoint.instanceTyp',
    ]);
  });

  it('rejects a spec without smoke tests', () => {
    expect(issuesOf({ ...minimal, smokeTests: [] })).toEqual(['$.smokeTests']);
  });

  it('rejects a smoke test without a body, naming the field', () => {
    expect(() => validateSpec({ ...minimal, smokeTests: [{ name: 'positive' }] })).toThrow(
      '$.smokeTests[0].body: missing; expected the request body, e.g. {"inputs": "I love this"}',
    );
  });

  it('rejects reserved model environment variables', () => {
    expect(issuesOf({ ...minimal, model: { ...minimal.model, env: { HF_TASK: 'fill-mask' } } })).toEqual([
      '$.model.env.HF_TASK',
    ]);
  });

  it('refuses model.image.uri, alone or with versions, naming the only repository the role may pull', () => {
    const uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-image:1';
    expect(issuesOf({ ...minimal, model: { ...minimal.model, image: { uri } } })).toEqual([
      '$.model.image.uri',
    ]);
    expect(
      issuesOf({ ...minimal, model: { ...minimal.model, image: { uri: 'a.b/c:d', pytorch: '2.6.0' } } }),
    ).toEqual(['$.model.image.uri']);
    expect(() => validateSpec({ ...minimal, model: { ...minimal.model, image: { uri } } })).toThrow(
      /\$\.model\.image\.uri: got "123456789012[^"]*"; expected no image URI: .*huggingface-pytorch-inference\. Remove model\.image\.uri and give DLC versions/,
    );
  });

  it('refuses model.executionRoleArn, telling to use the serving stack role', () => {
    const executionRoleArn = 'arn:aws:iam::123456789012:role/SageMakerRole';
    expect(issuesOf({ ...minimal, model: { ...minimal.model, executionRoleArn } })).toEqual([
      '$.model.executionRoleArn',
    ]);
    expect(() => validateSpec({ ...minimal, model: { ...minimal.model, executionRoleArn } })).toThrow(
      /\$\.model\.executionRoleArn: got "arn:aws:iam::123456789012:role\/SageMakerRole"; expected no execution role override: .*iam:PassRole.*Remove model\.executionRoleArn/,
    );
  });

  it('reports JSON syntax errors of spec text as an issue at $', () => {
    expect(() => parseSpec('{"service": ', 'spec.json')).toThrow(
      /spec\.json is invalid[\s\S]*\$: missing; expected valid JSON/,
    );
  });

  it.each(['sentiment.json', 'sentiment-serverless.json'])('accepts the example %s', (file) => {
    const spec = parseSpec(readFileSync(`examples/${file}`, 'utf8'), file);
    expect(spec.service).toBe('sentiment');
  });
});
