import { completeCommands, shellQuote } from '../../../pipeline/cli/output';

/** Hints the CLI prints can be pasted as they are: they reach the same target as the command did. */

const local = { url: 'http://127.0.0.1:4790', region: 'us-east-1' };

describe('completeCommands', () => {
  it('adds the target options to `npx rollout` hints', () => {
    expect(
      completeCommands('follow it with: npx rollout status abc-1 --follow', {
        rolloutFlags: ['--data-dir /tmp/d', "--endpoint 'http://x y'"],
      }),
    ).toBe("follow it with: npx rollout status --data-dir /tmp/d --endpoint 'http://x y' abc-1 --follow");
  });

  it('gives `up` only the data folder', () => {
    expect(
      completeCommands('start one with `npx rollout up`', {
        rolloutFlags: ['--data-dir /tmp/d', '--endpoint http://127.0.0.1:1'],
      }),
    ).toBe('start one with `npx rollout up --data-dir /tmp/d`');
  });

  it('points `aws` hints at the local cloud with its region', () => {
    expect(
      completeCommands(
        'may remain: check it and delete it (aws sagemaker delete-endpoint --endpoint-name e1).',
        { rolloutFlags: [], awsEndpoint: local },
      ),
    ).toBe(
      'may remain: check it and delete it (aws --endpoint-url http://127.0.0.1:4790 --region us-east-1 sagemaker delete-endpoint --endpoint-name e1).',
    );
  });

  it('leaves text alone on the default target', () => {
    const text = 'npx rollout history · aws sagemaker list-endpoints';
    expect(completeCommands(text, { rolloutFlags: [] })).toBe(text);
  });
});

describe('shellQuote', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(shellQuote('.rollout/local')).toBe('.rollout/local');
    expect(shellQuote('my dir')).toBe("'my dir'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
