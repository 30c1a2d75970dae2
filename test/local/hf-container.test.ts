import {
  hfModelOf,
  invokeHfContainer,
  NON_TEXT_INPUT_MESSAGE,
  pingFailure,
  type ContainerResponse,
  type HfContainerTask,
} from '../../local/services/hf-container';

const SST2 = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';

function call(
  modelId: string,
  task: HfContainerTask,
  body: unknown,
  options: { contentType?: string; accept?: string } = {},
): ContainerResponse {
  return invokeHfContainer(
    { modelId, task },
    {
      body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      contentType: options.contentType ?? 'application/json',
      accept: options.accept,
    },
  );
}

function json(response: ContainerResponse): unknown {
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as unknown;
}

function errorMessage(response: ContainerResponse): string {
  expect(response.status).toBe(400);
  const body = JSON.parse(response.body) as { code: number; type: string; message: string };
  expect(body.code).toBe(400);
  expect(body.type).toBe('InternalServerException');
  return body.message;
}

describe('emulated HuggingFace container: text-classification', () => {
  it.each([
    ['I love this product, it works great!', 'POSITIVE'],
    ['This is terrible, I hate it and want a refund.', 'NEGATIVE'],
    ['The service was awful', 'NEGATIVE'],
    ['What a wonderful day', 'POSITIVE'],
    ['It is not good at all', 'NEGATIVE'],
  ])('labels %j as %s for an SST-2 model', (text, label) => {
    const out = json(call(SST2, 'text-classification', { inputs: text })) as {
      label: string;
      score: number;
    }[];
    expect(out).toHaveLength(1);
    expect(out[0]?.label).toBe(label);
    expect(out[0]?.score).toBeGreaterThan(0.9);
    expect(out[0]?.score).toBeLessThan(1);
  });

  it('answers one result per input for a list, in order', () => {
    const out = json(
      call(SST2, 'sentiment-analysis', { inputs: ['What a wonderful day', 'The service was awful', 'ok'] }),
    );
    expect((out as { label: string }[]).map((o) => o.label).slice(0, 2)).toEqual(['POSITIVE', 'NEGATIVE']);
    expect(out).toHaveLength(3);
  });

  it('answers LABEL_0/LABEL_1 for models not trained on sentiment, and all labels with top_k', () => {
    const out = json(
      call('bert-base-uncased', 'text-classification', { inputs: 'hello', parameters: { top_k: 2 } }),
    );
    expect((out as { label: string }[]).map((o) => o.label).sort()).toEqual(['LABEL_0', 'LABEL_1']);
  });

  it('is deterministic: the same model and input give the same scores; another model differs', () => {
    const a = call(SST2, 'text-classification', { inputs: 'neutral words here' }).body;
    const b = call(SST2, 'text-classification', { inputs: 'neutral words here' }).body;
    const c = call('other/sst2-model', 'text-classification', { inputs: 'neutral words here' }).body;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('emulated HuggingFace container: other tasks', () => {
  it('token-classification tags entities with offsets into the text', () => {
    const text = 'My name is Wolfgang and I live in Berlin.';
    const out = json(call('dslim/bert-base-NER', 'ner', { inputs: text })) as {
      entity: string;
      score: number;
      index: number;
      word: string;
      start: number;
      end: number;
    }[];
    expect(out.map((e) => [e.entity, e.word])).toEqual([
      ['B-PER', 'Wolfgang'],
      ['B-LOC', 'Berlin'],
    ]);
    for (const e of out) {
      expect(text.slice(e.start, e.end)).toBe(e.word);
      expect(Number.isInteger(e.index)).toBe(true);
    }
  });

  it('token-classification groups entities with aggregation_strategy', () => {
    const out = json(
      call('dslim/bert-base-NER', 'token-classification', {
        inputs: 'I met Ada Lovelace at Google in London.',
        parameters: { aggregation_strategy: 'simple' },
      }),
    );
    expect(out).toEqual([
      { entity_group: 'PER', score: expect.any(Number) as unknown, word: 'Ada Lovelace', start: 6, end: 18 },
      { entity_group: 'ORG', score: expect.any(Number) as unknown, word: 'Google', start: 22, end: 28 },
      { entity_group: 'LOC', score: expect.any(Number) as unknown, word: 'London', start: 32, end: 38 },
    ]);
  });

  it('question-answering answers with a span of the context', () => {
    const context = 'My name is Clara and I live in Berkeley. Hugging Face was founded in 2016.';
    const cases: [string, string][] = [
      ['What is my name?', 'Clara'],
      ['Where do I live?', 'Berkeley'],
      ['When was Hugging Face founded?', '2016'],
    ];
    for (const [question, answer] of cases) {
      const out = json(
        call('deepset/roberta-base-squad2', 'question-answering', { inputs: { question, context } }),
      ) as {
        score: number;
        start: number;
        end: number;
        answer: string;
      };
      expect(out.answer).toBe(answer);
      expect(context.slice(out.start, out.end)).toBe(out.answer);
      expect(out.score).toBeGreaterThan(0);
    }
  });

  it('question-answering also takes question and context at the top level, as the toolkit passes the body through', () => {
    const out = json(call('m', 'question-answering', { question: 'Who?', context: 'Bob lives here.' }));
    expect(out).toMatchObject({ answer: 'Bob', start: 0, end: 3 });
  });

  it('fill-mask returns the top 5 fillers, best first, with the sequence filled in', () => {
    const out = json(
      call('bert-base-uncased', 'fill-mask', { inputs: 'Paris is the [MASK] of France.' }),
    ) as {
      score: number;
      token: number;
      token_str: string;
      sequence: string;
    }[];
    expect(out).toHaveLength(5);
    const scores = out.map((o) => o.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const o of out) {
      expect(o.sequence).toBe(`Paris is the ${o.token_str} of France.`);
      expect(Number.isInteger(o.token)).toBe(true);
    }
  });

  it('fill-mask uses <mask> for RoBERTa models and refuses an input without the mask token', () => {
    expect(json(call('roberta-base', 'fill-mask', { inputs: 'Hello <mask>!' }))).toHaveLength(5);
    expect(errorMessage(call('roberta-base', 'fill-mask', { inputs: 'Hello [MASK]!' }))).toBe(
      'No mask_token (<mask>) found on the input',
    );
  });

  it('summarization returns summary_text shorter than the input, from its sentences', () => {
    const text =
      'The tower is 324 metres tall, about the same height as an 81-storey building. It is the tallest structure in Paris. ' +
      'Its base is square, measuring 125 metres on each side. During its construction the Eiffel Tower surpassed the Washington Monument.';
    const out = json(call('facebook/bart-large-cnn', 'summarization', { inputs: text })) as {
      summary_text: string;
    }[];
    expect(out).toHaveLength(1);
    expect(out[0]?.summary_text.length).toBeGreaterThan(0);
    expect(out[0]?.summary_text.length).toBeLessThan(text.length);
    expect(text.startsWith(out[0]?.summary_text ?? '?')).toBe(true);
  });

  it('text-generation continues the prompt and roughly respects max_new_tokens', () => {
    const out = json(
      call('gpt2', 'text-generation', { inputs: 'Once upon a time', parameters: { max_new_tokens: 12 } }),
    ) as { generated_text: string }[];
    const text = out[0]?.generated_text ?? '';
    expect(text.startsWith('Once upon a time ')).toBe(true);
    const added = text.slice('Once upon a time '.length).split(/\s+/).filter(Boolean).length;
    expect(added).toBeGreaterThanOrEqual(8);
    expect(added).toBeLessThanOrEqual(12);
    const only = json(
      call('gpt2', 'text-generation', { inputs: 'Hi', parameters: { return_full_text: false } }),
    ) as {
      generated_text: string;
    }[];
    expect(only[0]?.generated_text.startsWith('Hi')).toBe(false);
  });

  it('feature-extraction returns [1][tokens][768] floats, tokens = words + 2', () => {
    const out = json(
      call('bert-base-uncased', 'feature-extraction', { inputs: 'hello big world' }),
    ) as number[][][];
    expect(out).toHaveLength(1);
    expect(out[0]).toHaveLength(5);
    for (const vector of out[0] ?? []) {
      expect(vector).toHaveLength(768);
      expect(vector.every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    }
  });

  it('zero-shot-classification sorts labels by score, scores summing to 1', () => {
    const out = json(
      call('facebook/bart-large-mnli', 'zero-shot-classification', {
        inputs: 'The new phone has a great camera',
        parameters: { candidate_labels: ['phone', 'cooking', 'politics'] },
      }),
    ) as { sequence: string; labels: string[]; scores: number[] };
    expect(out.sequence).toBe('The new phone has a great camera');
    expect([...out.labels].sort()).toEqual(['cooking', 'phone', 'politics']);
    expect(out.labels[0]).toBe('phone');
    expect([...out.scores].sort((a, b) => b - a)).toEqual(out.scores);
    expect(out.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('zero-shot-classification refuses a request without candidate_labels', () => {
    expect(errorMessage(call('m', 'zero-shot-classification', { inputs: 'x' }))).toBe(
      'You must include at least one label and at least one sequence.',
    );
  });
});

describe('emulated HuggingFace container: the toolkit contract', () => {
  it('refuses a body without "inputs"', () => {
    expect(errorMessage(call(SST2, 'text-classification', { text: 'x' }))).toContain(
      'The request body has no "inputs" key',
    );
  });

  it('refuses content types the toolkit cannot decode, with its message', () => {
    expect(errorMessage(call(SST2, 'text-classification', 'hello', { contentType: 'text/plain' }))).toMatch(
      /^Content type text\/plain is not supported by this framework\./,
    );
    expect(
      errorMessage(
        call(SST2, 'text-classification', 'hello', { contentType: 'application/json; charset=utf-8' }),
      ),
    ).toMatch(/^Content type application\/json; charset=utf-8 is not supported/);
  });

  it('refuses images, audio and arrays, which the toolkit decodes but no text pipeline reads', () => {
    for (const contentType of ['image/png', 'audio/wave', 'application/x-npy']) {
      expect(errorMessage(call(SST2, 'text-classification', '\u0000\u0001', { contentType }))).toBe(
        NON_TEXT_INPUT_MESSAGE,
      );
    }
  });

  it('reads CSV with an inputs header, and refuses CSV without one', () => {
    const out = json(
      call(SST2, 'text-classification', 'inputs\nWhat a wonderful day\n', { contentType: 'text/csv' }),
    );
    expect(out).toEqual([{ label: 'POSITIVE', score: expect.any(Number) as unknown }]);
    expect(
      errorMessage(call(SST2, 'text-classification', 'text\nhello\n', { contentType: 'text/csv' })),
    ).toBe(
      'You need to provide the correct CSV with Header columns to use it with the inference toolkit default handler.',
    );
    expect(
      errorMessage(call('m', 'zero-shot-classification', 'inputs\nx\n', { contentType: 'text/csv' })),
    ).toBe('content type text/csv not support with zero-shot-classification, use different content_type');
  });

  it('refuses an Accept type it cannot encode, and answers JSON for */*', () => {
    expect(
      errorMessage(call(SST2, 'text-classification', { inputs: 'x' }, { accept: 'application/xml' })),
    ).toMatch(/^Content type application\/xml is not supported/);
    expect(call(SST2, 'text-classification', { inputs: 'x' }, { accept: '*/*' }).contentType).toBe(
      'application/json',
    );
  });

  it('reports a JSON body that is not an object as the toolkit does', () => {
    expect(errorMessage(call(SST2, 'text-classification', '"just text"'))).toBe(
      "'str' object has no attribute 'pop'",
    );
    expect(errorMessage(call(SST2, 'text-classification', ''))).toBe(
      'Expecting value: line 1 column 1 (char 0)',
    );
  });
});

describe('emulated HuggingFace container: health', () => {
  it('starts for supported tasks with a model id or model data, and fails the ping otherwise', () => {
    expect(hfModelOf({ HF_MODEL_ID: SST2, HF_TASK: 'text-classification' }, undefined)).toEqual({
      modelId: SST2,
      task: 'text-classification',
    });
    expect(pingFailure({ HF_TASK: 'fill-mask' }, 's3://bucket/model.tar.gz', 'AllTraffic')).toBeUndefined();
    expect(pingFailure({ HF_MODEL_ID: SST2, HF_TASK: 'audio-classification' }, undefined, 'Blue')).toBe(
      'The primary container for production variant Blue did not pass the ping health check. Please check CloudWatch logs for this endpoint.',
    );
    expect(pingFailure({ HF_TASK: 'text-classification' }, undefined, 'AllTraffic')).toBeDefined();
    expect(pingFailure({ HF_MODEL_ID: SST2 }, undefined, 'AllTraffic')).toBeDefined();
  });
});
