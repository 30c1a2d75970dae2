import { createHash } from 'node:crypto';

/**
 * Deterministic stand-ins for the HuggingFace pipelines the emulated container serves. Each returns
 * what `transformers.pipeline(task)(inputs, **parameters)` returns, in the same shape (keys, nesting,
 * list-in/list-out), with values derived from a hash of the model id and the input, so the same
 * request always gets the same answer and different models answer differently. The text heuristics
 * (a sentiment lexicon, capitalised spans as entities, keyword overlap for answers) make the outputs
 * plausible enough for smoke tests and demos; they are not models.
 */

/** A pipeline input was not what the task accepts; the container answers 400 with this message. */
export class PipelineInputError extends Error {
  override readonly name = 'PipelineInputError';
}

/** A number in [0, 1) determined by the parts (sha256, 48 bits). */
export function unitHash(...parts: readonly unknown[]): number {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** A seeded pseudo-random generator (mulberry32): cheap, deterministic, good enough for fake vectors. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rounds a score the way float32 model outputs print: enough digits to look real, stable in JSON. */
function score(x: number): number {
  return Number(Math.min(0.9999, Math.max(0.0001, x)).toFixed(4));
}

/** A word or punctuation mark with its character offsets in the text. */
interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

function tokens(text: string): Token[] {
  return [...text.matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}]/gu)].map((m) => ({
    text: m[0],
    start: m.index,
    end: m.index + m[0].length,
  }));
}

function words(text: string): Token[] {
  return tokens(text).filter((t) => /[\p{L}\p{N}]/u.test(t.text));
}

function sentences(text: string): Token[] {
  return [...text.matchAll(/[^.!?]+[.!?]*/g)]
    .map((m) => {
      const leading = m[0].length - m[0].trimStart().length;
      const body = m[0].trim();
      return { text: body, start: m.index + leading, end: m.index + leading + body.length };
    })
    .filter((s) => s.text !== '');
}

const STOPWORDS = new Set(
  (
    'a an the and or but if of to in on at by for with from into about as is are was were be been being ' +
    'do does did have has had i me my we our you your he him his she her it its they them their this that ' +
    'these those what which who whom whose when where why how there here not no so than too very can could ' +
    'will would should shall may might must just also all any some'
  ).split(' '),
);

// --- text-classification -------------------------------------------------------------------------

const POSITIVE = new Set(
  (
    'love loved loves lovely great good excellent amazing wonderful fantastic awesome best happy like liked ' +
    'likes nice perfect recommend recommended works work enjoy enjoyed beautiful brilliant superb delightful ' +
    'pleased glad fast easy helpful friendly impressive incredible outstanding satisfied smooth reliable fun ' +
    'thank thanks cool favorite favourite pleasant glorious'
  ).split(' '),
);
const NEGATIVE = new Set(
  (
    'hate hated hates terrible awful bad worst horrible poor refund broken disappointing disappointed angry ' +
    'slow useless waste wasted sad boring annoying rude problem problems fail failed fails failure crash ' +
    'crashed ugly wrong worse dreadful unhappy defective frustrating frustrated mediocre scam dirty late lost'
  ).split(' '),
);
const NEGATIONS = new Set(
  "not no never don't doesn't isn't wasn't didn't can't won't aren't weren't hardly nothing".split(' '),
);

/** Lexicon polarity of a text: positive words minus negative words, a negation flipping the next one. */
export function sentimentPolarity(text: string): number {
  let polarity = 0;
  let negateWithin = 0;
  for (const { text: raw } of words(text)) {
    const word = raw.toLowerCase().replace('’', "'");
    if (NEGATIONS.has(word)) {
      negateWithin = 3;
      continue;
    }
    const value = POSITIVE.has(word) ? 1 : NEGATIVE.has(word) ? -1 : 0;
    if (value !== 0) {
      polarity += negateWithin > 0 ? -value : value;
      negateWithin = 0;
    } else if (negateWithin > 0) {
      negateWithin--;
    }
  }
  return polarity;
}

/** True for models fine-tuned on sentiment (labels POSITIVE/NEGATIVE); others answer LABEL_0/LABEL_1. */
export function isSentimentModel(modelId: string): boolean {
  return /sst-?2|sentiment/i.test(modelId);
}

interface LabelScore {
  readonly label: string;
  readonly score: number;
}

function classifyOne(modelId: string, text: string): LabelScore[] {
  const h = unitHash(modelId, 'text-classification', text);
  let first: LabelScore;
  let second: LabelScore;
  if (isSentimentModel(modelId)) {
    const polarity = sentimentPolarity(text);
    const positive = polarity === 0 ? h >= 0.5 : polarity > 0;
    const s = polarity === 0 ? 0.5 + 0.35 * h : 0.93 + 0.015 * Math.min(Math.abs(polarity), 4) + 0.009 * h;
    first = { label: positive ? 'POSITIVE' : 'NEGATIVE', score: score(s) };
    second = { label: positive ? 'NEGATIVE' : 'POSITIVE', score: score(1 - s) };
  } else {
    const index = h < 0.5 ? 0 : 1;
    const s = 0.5 + 0.49 * unitHash(modelId, 'confidence', text);
    first = { label: `LABEL_${index}`, score: score(s) };
    second = { label: `LABEL_${1 - index}`, score: score(1 - s) };
  }
  return [first, second];
}

/** `text-classification` (alias `sentiment-analysis`): top label per input, or the top_k labels. */
export function textClassification(modelId: string, inputs: unknown, parameters: Params): unknown {
  const texts = textInputs(inputs, 'text-classification');
  const topK = parameters.top_k === null ? 2 : optionalInt(parameters.top_k, 'top_k');
  const allScores = parameters.return_all_scores === true;
  const one = (text: string): unknown => {
    const ranked = classifyOne(modelId, text);
    if (allScores) return ranked;
    return topK === undefined ? ranked[0] : ranked.slice(0, topK);
  };
  if (typeof inputs === 'string') {
    const out = one(inputs);
    // The legacy return_all_scores wraps a single input's scores in one more list; top_k does not.
    return allScores ? [out] : Array.isArray(out) ? out : [out];
  }
  return texts.map(one);
}

// --- token-classification ------------------------------------------------------------------------

const LOCATIONS = new Set(
  (
    'paris london berlin madrid rome tokyo beijing moscow new york california texas france germany spain ' +
    'italy japan china india canada brazil europe asia africa america berkeley seattle boston chicago ' +
    'amsterdam dublin sydney'
  ).split(' '),
);
const ORGANIZATIONS = new Set(
  (
    'google apple amazon microsoft meta facebook ibm intel nvidia netflix tesla huggingface hugging face ' +
    'openai anthropic aws inc corp corporation ltd llc gmbh university bank company institute'
  ).split(' '),
);
const PRECEDES_LOCATION = new Set(['in', 'at', 'from', 'to', 'near']);
const AGGREGATION_STRATEGIES = ['none', 'simple', 'first', 'average', 'max'];

interface EntityToken {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number;
  end: number;
}

function entityTokens(modelId: string, text: string): EntityToken[] {
  const all = tokens(text);
  const out: EntityToken[] = [];
  let i = 0;
  while (i < all.length) {
    const span: { token: Token; index: number }[] = [];
    while (i < all.length) {
      const token = all[i];
      if (token === undefined || !isEntityWord(token.text)) break;
      span.push({ token, index: i + 1 });
      i++;
    }
    if (span.length === 0) {
      i++;
      continue;
    }
    const before = all[(span[0]?.index ?? 1) - 2]?.text.toLowerCase();
    const lowered = span.map((s) => s.token.text.toLowerCase());
    const type = lowered.some((w) => ORGANIZATIONS.has(w))
      ? 'ORG'
      : lowered.some((w) => LOCATIONS.has(w)) || (before !== undefined && PRECEDES_LOCATION.has(before))
        ? 'LOC'
        : span.length <= 3
          ? 'PER'
          : 'MISC';
    span.forEach((s, n) => {
      out.push({
        entity: `${n === 0 ? 'B' : 'I'}-${type}`,
        score: score(0.95 + 0.0499 * unitHash(modelId, 'ner', text, s.index)),
        index: s.index,
        word: s.token.text,
        start: s.token.start,
        end: s.token.end,
      });
    });
  }
  return out;
}

function isEntityWord(word: string): boolean {
  return /^\p{Lu}/u.test(word) && !STOPWORDS.has(word.toLowerCase());
}

/** `token-classification` (alias `ner`): entity per token, or grouped when `aggregation_strategy` is set. */
export function tokenClassification(modelId: string, inputs: unknown, parameters: Params): unknown {
  const strategy = parameters.aggregation_strategy;
  if (
    strategy !== undefined &&
    !(typeof strategy === 'string' && AGGREGATION_STRATEGIES.includes(strategy))
  ) {
    throw new PipelineInputError(`${JSON.stringify(strategy)} is not a valid AggregationStrategy`);
  }
  const grouped = strategy !== undefined && strategy !== 'none';
  const one = (text: string): unknown => {
    const found = entityTokens(modelId, text);
    if (!grouped) return found;
    const groups: { entity_group: string; score: number; word: string; start: number; end: number }[] = [];
    let scores: number[] = [];
    for (const token of found) {
      const last = groups[groups.length - 1];
      const type = token.entity.slice(2);
      if (token.entity.startsWith('I-') && last !== undefined && last.entity_group === type) {
        last.word = `${last.word} ${token.word}`;
        last.end = token.end;
        scores.push(token.score);
        last.score = score(scores.reduce((a, b) => a + b, 0) / scores.length);
      } else {
        scores = [token.score];
        groups.push({
          entity_group: type,
          score: token.score,
          word: token.word,
          start: token.start,
          end: token.end,
        });
      }
    }
    return groups;
  };
  return typeof inputs === 'string' ? one(inputs) : textInputs(inputs, 'token-classification').map(one);
}

// --- question-answering --------------------------------------------------------------------------

interface QaInput {
  readonly question: string;
  readonly context: string;
}

function qaInputs(inputs: unknown): { list: QaInput[]; single: boolean } {
  const one = (value: unknown): QaInput => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const { question, context } = value as Record<string, unknown>;
      if (typeof question === 'string' && typeof context === 'string') {
        if (question.trim() === '') throw new PipelineInputError('`question` cannot be empty');
        if (context.trim() === '') throw new PipelineInputError('`context` cannot be empty');
        return { question, context };
      }
    }
    throw new PipelineInputError(
      'Argument [inputs] should be a dict {"question": ..., "context": ...} (or a list of them); ' +
        `got ${describe(value)}`,
    );
  };
  if (Array.isArray(inputs)) return { list: inputs.map(one), single: false };
  return { list: [one(inputs)], single: true };
}

/** The answer span: in the sentence sharing most words with the question, the part the question asks for. */
function answerSpan(question: string, context: string): { start: number; end: number } {
  const keywords = new Set(
    words(question)
      .map((w) => w.text.toLowerCase())
      .filter((w) => !STOPWORDS.has(w) && w.length > 2),
  );
  const q = question.toLowerCase();
  const expected = /\bwhen\b|\bwhat year\b/.test(q)
    ? /\b(1\d{3}|20\d{2})\b/
    : /\bhow (many|much|old|long)\b/.test(q)
      ? /\d/
      : undefined;
  const all = sentences(context);
  let best = all[0] ?? { text: context, start: 0, end: context.length };
  let bestOverlap = -1;
  for (const s of all) {
    // A sentence holding the kind of answer asked for (a year, a number) breaks ties.
    const bonus = expected?.test(s.text) === true ? 0.5 : 0;
    const overlap = words(s.text).filter((w) => keywords.has(w.text.toLowerCase())).length + bonus;
    if (overlap > bestOverlap) {
      best = s;
      bestOverlap = overlap;
    }
  }
  const inSentence = words(best.text).map((w) => ({
    ...w,
    start: w.start + best.start,
    end: w.end + best.start,
  }));
  const span = (from: number, to: number): { start: number; end: number } | undefined => {
    const a = inSentence[from];
    const b = inSentence[to];
    return a === undefined || b === undefined ? undefined : { start: a.start, end: b.end };
  };
  const capitalisedRun = (from: number): { start: number; end: number } | undefined => {
    for (let i = from; i < inSentence.length; i++) {
      const w = inSentence[i];
      if (w === undefined || !isEntityWord(w.text) || keywords.has(w.text.toLowerCase())) continue;
      let j = i;
      while (j + 1 < inSentence.length && isEntityWord(inSentence[j + 1]?.text ?? '')) j++;
      return span(i, j);
    }
    return undefined;
  };
  const firstMatching = (re: RegExp): { start: number; end: number } | undefined => {
    const i = inSentence.findIndex((w) => re.test(w.text));
    return i < 0 ? undefined : span(i, i);
  };
  const lastKeyword = inSentence.reduce(
    (found, w, i) => (keywords.has(w.text.toLowerCase()) ? i : found),
    -1,
  );
  let found: { start: number; end: number } | undefined;
  if (/\bwhen\b|\bwhat year\b/.test(q)) found = firstMatching(/^(1\d{3}|20\d{2})$/);
  else if (/\bhow (many|much|old|long)\b/.test(q)) found = firstMatching(/^\d[\d.,]*$/);
  else if (/\bwhere\b/.test(q)) {
    const at = inSentence.findIndex((w, i) => i > lastKeyword && PRECEDES_LOCATION.has(w.text.toLowerCase()));
    found = capitalisedRun(at < 0 ? 0 : at + 1);
  } else if (/\bwho\b|\bname\b/.test(q)) found = capitalisedRun(0);
  if (found === undefined) found = capitalisedRun(lastKeyword + 1);
  if (found === undefined) {
    let from = lastKeyword + 1;
    while (/^(is|are|was|were|be|the|a|an|of)$/i.test(inSentence[from]?.text ?? '')) from++;
    const to = Math.min(inSentence.length - 1, from + 5);
    found = span(from, to) ?? span(0, Math.min(inSentence.length - 1, 5));
  }
  return found ?? { start: 0, end: context.length };
}

/** `question-answering`: `{score, start, end, answer}` with `answer` a real span of the context. */
export function questionAnswering(modelId: string, inputs: unknown, parameters: Params): unknown {
  const { list, single } = qaInputs(inputs);
  const topK = optionalInt(parameters.top_k, 'top_k') ?? 1;
  const outputs = list.map(({ question, context }) => {
    const { start, end } = answerSpan(question, context);
    const first = {
      score: score(0.4 + 0.59 * unitHash(modelId, 'qa', question, context)),
      start,
      end,
      answer: context.slice(start, end),
    };
    if (topK <= 1) return first;
    const others = sentences(context)
      .map((s) => ({ start: s.start, end: s.end }))
      .filter((s) => s.start !== start || s.end !== end)
      .slice(0, topK - 1)
      .map((s, i) => ({
        score: score(first.score * (0.3 - 0.05 * i) * (0.5 + 0.5 * unitHash(modelId, 'qa-k', question, i))),
        start: s.start,
        end: s.end,
        answer: context.slice(s.start, s.end),
      }));
    return [first, ...others];
  });
  return single ? outputs[0] : outputs;
}

// --- fill-mask ----------------------------------------------------------------------------------

/** The mask token of a model's tokenizer: `<mask>` for the RoBERTa/BART family, `[MASK]` for BERT-like ones. */
export function maskTokenFor(modelId: string): string {
  return /roberta|bart|xlm|camembert|longformer|deberta-v3|mpnet/i.test(modelId) ? '<mask>' : '[MASK]';
}

const NOUNS = (
  'world time day way man woman city house life work school family car dog book music game team ' +
  'food water country story music idea product service model'
).split(' ');
const OTHERS = (
  'good new great first last best only very really also always never just still well more better ' +
  'happy important small large important beautiful simple'
).split(' ');
const DETERMINERS = new Set([
  'the',
  'a',
  'an',
  'this',
  'that',
  'my',
  'your',
  'our',
  'their',
  'his',
  'her',
  'its',
]);

/** `fill-mask`: the top_k (default 5) fillers of each mask token, best first. */
export function fillMask(modelId: string, inputs: unknown, parameters: Params): unknown {
  const mask = maskTokenFor(modelId);
  const topK = optionalInt(parameters.top_k, 'top_k') ?? 5;
  const one = (text: string): unknown => {
    const count = text.split(mask).length - 1;
    if (count === 0) throw new PipelineInputError(`No mask_token (${mask}) found on the input`);
    const perMask = Array.from({ length: count }, (_, n) => {
      const at = nthIndexOf(text, mask, n);
      const before = words(text.slice(0, at)).pop()?.text.toLowerCase();
      const pool = before !== undefined && DETERMINERS.has(before) ? NOUNS : [...OTHERS, ...NOUNS];
      const ranked = [...new Set(pool)]
        .map((word) => ({ word, rank: unitHash(modelId, 'fill-mask', text, n, word) }))
        .sort((a, b) => b.rank - a.rank)
        .slice(0, topK);
      let remaining = 0.35 + 0.5 * unitHash(modelId, 'fill-mask-mass', text, n);
      return ranked.map(({ word }, i) => {
        const s = i === ranked.length - 1 ? remaining * 0.5 : remaining * (0.55 + 0.1 * unitHash(word, i));
        remaining -= s;
        return {
          score: score(s),
          token: 1000 + Math.floor(unitHash('vocab', word) * 28000),
          token_str: word,
          sequence: replaceNth(text, mask, n, word),
        };
      });
    });
    return count === 1 ? perMask[0] : perMask;
  };
  return typeof inputs === 'string' ? one(inputs) : textInputs(inputs, 'fill-mask').map(one);
}

function nthIndexOf(text: string, needle: string, n: number): number {
  let at = -1;
  for (let i = 0; i <= n; i++) at = text.indexOf(needle, at + 1);
  return at;
}

function replaceNth(text: string, needle: string, n: number, replacement: string): string {
  const at = nthIndexOf(text, needle, n);
  return `${text.slice(0, at)}${replacement}${text.slice(at + needle.length)}`;
}

// --- summarization ------------------------------------------------------------------------------

/** `summarization`: `[{"summary_text"}]`, the leading sentences within the length budget (extractive). */
export function summarization(_modelId: string, inputs: unknown, parameters: Params): unknown {
  const maxLength = optionalInt(parameters.max_length, 'max_length') ?? 142;
  const minLength = optionalInt(parameters.min_length, 'min_length') ?? 0;
  const one = (text: string): { summary_text: string } => {
    const total = words(text).length;
    const budget = Math.max(
      Math.min(minLength, total),
      Math.min(maxLength, Math.max(8, Math.ceil(total * 0.4))),
    );
    const picked: string[] = [];
    let used = 0;
    for (const s of sentences(text)) {
      const n = words(s.text).length;
      if (used + n <= budget) {
        picked.push(s.text);
        used += n;
        continue;
      }
      if (picked.length === 0) picked.push(truncateWords(s.text, budget));
      break;
    }
    return { summary_text: picked.join(' ') };
  };
  return typeof inputs === 'string' ? [one(inputs)] : textInputs(inputs, 'summarization').map(one);
}

function truncateWords(text: string, count: number): string {
  const ws = words(text);
  const last = ws[Math.max(0, Math.min(ws.length, count) - 1)];
  return last === undefined ? text : text.slice(0, last.end);
}

// --- text-generation ----------------------------------------------------------------------------

const CONTINUATION = (
  'the model is able to learn from data and make predictions about new examples . it was trained on a ' +
  'large corpus of text , which helps it to understand language and answer questions . in this way we can ' +
  'build useful tools for people who need them every day , and we hope that this will make the world a ' +
  'better place'
).split(' ');

/** `text-generation`: `[{"generated_text"}]`, the prompt and a deterministic continuation of about max_new_tokens words. */
export function textGeneration(modelId: string, inputs: unknown, parameters: Params): unknown {
  const maxNew = optionalInt(parameters.max_new_tokens, 'max_new_tokens');
  const maxLength = optionalInt(parameters.max_length, 'max_length');
  const sequences = optionalInt(parameters.num_return_sequences, 'num_return_sequences') ?? 1;
  const fullText = parameters.return_full_text !== false;
  const one = (prompt: string): { generated_text: string }[] =>
    Array.from({ length: sequences }, (_, seq) => {
      const promptTokens = tokens(prompt).length;
      // transformers' default generation config stops at 20 tokens in total, prompt included.
      const count = maxNew ?? Math.max(0, (maxLength ?? 20) - promptTokens);
      const random = seededRandom(Math.floor(unitHash(modelId, 'generate', prompt, seq) * 2 ** 32));
      let at = Math.floor(random() * CONTINUATION.length);
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        out.push(CONTINUATION[at % CONTINUATION.length] ?? '.');
        at += random() < 0.8 ? 1 : 1 + Math.floor(random() * 7);
      }
      const continuation = out.join(' ').replace(/ ([.,])/g, '$1');
      const glue = continuation === '' || /\s$/.test(prompt) ? '' : ' ';
      return { generated_text: fullText ? `${prompt}${glue}${continuation}` : `${glue}${continuation}` };
    });
  return typeof inputs === 'string' ? one(inputs) : textInputs(inputs, 'text-generation').map(one);
}

// --- feature-extraction -------------------------------------------------------------------------

/** Hidden size of a model: 384 for MiniLM sentence encoders, 768 (BERT-base) otherwise. */
export function hiddenSizeFor(modelId: string): number {
  return /minilm/i.test(modelId) ? 384 : 768;
}

/** `feature-extraction`: `[1][tokens][hidden]` floats per input, tokens = word pieces + [CLS] + [SEP]. */
export function featureExtraction(modelId: string, inputs: unknown, _parameters: Params): unknown {
  const hidden = hiddenSizeFor(modelId);
  const one = (text: string): number[][][] => {
    const pieces = ['[CLS]', ...tokens(text).map((t) => t.text.toLowerCase()), '[SEP]'];
    return [
      pieces.map((piece, position) => {
        const random = seededRandom(Math.floor(unitHash(modelId, 'embedding', piece, position) * 2 ** 32));
        return Array.from({ length: hidden }, () =>
          Number(((random() + random() + random() - 1.5) * 0.6).toFixed(6)),
        );
      }),
    ];
  };
  return typeof inputs === 'string' ? one(inputs) : textInputs(inputs, 'feature-extraction').map(one);
}

// --- zero-shot-classification -------------------------------------------------------------------

/** `zero-shot-classification`: `{sequence, labels, scores}`, labels by descending score (scores sum to 1 unless multi_label). */
export function zeroShotClassification(modelId: string, inputs: unknown, parameters: Params): unknown {
  const raw = parameters.candidate_labels;
  const labels = (
    typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw.map((l) => String(l)) : []
  )
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const texts = typeof inputs === 'string' ? [inputs] : textInputs(inputs, 'zero-shot-classification');
  if (labels.length === 0 || texts.length === 0) {
    throw new PipelineInputError('You must include at least one label and at least one sequence.');
  }
  const multi = parameters.multi_label === true || parameters.multi_class === true;
  const one = (sequence: string): { sequence: string; labels: string[]; scores: number[] } => {
    const seqWords = new Set(words(sequence).map((w) => stem(w.text.toLowerCase())));
    const polarity = sentimentPolarity(sequence);
    const logits = labels.map((label) => {
      const overlap = words(label).filter((w) => seqWords.has(stem(w.text.toLowerCase()))).length;
      const l = label.toLowerCase();
      const mood =
        (/positive|happy|praise|joy/.test(l) && polarity > 0) ||
        (/negative|complaint|angry|sad/.test(l) && polarity < 0)
          ? 2
          : 0;
      return 3 * overlap + mood + 2 * unitHash(modelId, 'zero-shot', sequence, label);
    });
    const probabilities = multi ? logits.map((x) => 1 / (1 + Math.exp(-(x - 2)))) : softmax(logits);
    const ranked = labels.map((label, i) => ({ label, p: probabilities[i] ?? 0 })).sort((a, b) => b.p - a.p);
    return { sequence, labels: ranked.map((r) => r.label), scores: ranked.map((r) => r.p) };
  };
  return typeof inputs === 'string' ? one(inputs) : texts.map(one);
}

function softmax(xs: readonly number[]): number[] {
  const max = Math.max(...xs);
  const exps = xs.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function stem(word: string): string {
  return word.replace(/(ing|ed|es|s)$/, '');
}

// --- shared -------------------------------------------------------------------------------------

/** Pipeline keyword arguments (`parameters` of the request). */
export type Params = Readonly<Record<string, unknown>>;

function textInputs(inputs: unknown, task: string): string[] {
  if (typeof inputs === 'string') return [inputs];
  if (Array.isArray(inputs) && inputs.every((i): i is string => typeof i === 'string')) return inputs;
  throw new PipelineInputError(
    `The ${task} pipeline takes a string or a list of strings as inputs; got ${describe(inputs)}`,
  );
}

function optionalInt(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new PipelineInputError(`${name} must be a non-negative integer; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Python's name for a JSON value's type, as the toolkit's error messages print it. */
export function pythonType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

function describe(value: unknown): string {
  return `${pythonType(value)} ${JSON.stringify(value)?.slice(0, 80) ?? ''}`;
}
