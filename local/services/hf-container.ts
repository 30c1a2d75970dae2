import {
  featureExtraction,
  fillMask,
  PipelineInputError,
  pythonType,
  questionAnswering,
  summarization,
  textClassification,
  textGeneration,
  tokenClassification,
  zeroShotClassification,
  type Params,
} from './hf-tasks';

/**
 * The emulated HuggingFace inference container (the Deep Learning Container running
 * sagemaker-huggingface-inference-toolkit on Multi Model Server). Pure functions: a request in, the
 * container's HTTP answer out. It follows the toolkit's contract: the body is decoded by content type
 * (JSON or CSV; anything else is "not supported by this framework"), `inputs` and `parameters` are
 * passed to the pipeline, the prediction is encoded by Accept (JSON by default, or CSV), and every
 * failure is answered as MMS answers a `PredictionException`: status 400 with
 * `{"code", "type", "message"}`. SageMaker Runtime turns non-2xx answers into `ModelError`.
 */

/** Pipeline tasks the emulated container serves, each mapped to the pipeline that runs it. */
export const HF_CONTAINER_TASKS = {
  'text-classification': textClassification,
  'sentiment-analysis': textClassification,
  'token-classification': tokenClassification,
  ner: tokenClassification,
  'question-answering': questionAnswering,
  'fill-mask': fillMask,
  summarization: summarization,
  'text-generation': textGeneration,
  'feature-extraction': featureExtraction,
  'zero-shot-classification': zeroShotClassification,
} as const satisfies Readonly<
  Record<string, (modelId: string, inputs: unknown, parameters: Params) => unknown>
>;

/** A task name the emulated container serves (aliases included). */
export type HfContainerTask = keyof typeof HF_CONTAINER_TASKS;

/** True when the emulated container can serve `task`. */
export function isSupportedTask(task: string): task is HfContainerTask {
  return Object.prototype.hasOwnProperty.call(HF_CONTAINER_TASKS, task);
}

/** What the container serves, read from the model's environment (HF_MODEL_ID, HF_TASK, HF_MODEL_REVISION). */
export interface HfModel {
  /** HF_MODEL_ID, or the model artifact URL when the model comes from S3. */
  readonly modelId: string;
  readonly task: HfContainerTask;
}

/** The model a container serves, or undefined when its environment does not describe one it can serve. */
export function hfModelOf(
  environment: Readonly<Record<string, string>>,
  modelDataUrl: string | undefined,
): HfModel | undefined {
  const task = environment.HF_TASK;
  const modelId = environment.HF_MODEL_ID ?? modelDataUrl;
  if (task === undefined || !isSupportedTask(task) || modelId === undefined || modelId === '')
    return undefined;
  return { modelId, task };
}

/**
 * Why the container would fail SageMaker's ping health check (the model never loads), or undefined when
 * it starts. The message is SageMaker's; the container's log (not emulated) would say why.
 */
export function pingFailure(
  environment: Readonly<Record<string, string>>,
  modelDataUrl: string | undefined,
  variantName: string,
): string | undefined {
  if (hfModelOf(environment, modelDataUrl) !== undefined) return undefined;
  return pingFailureReason(variantName);
}

/** SageMaker's FailureReason for a container that never answers /ping. */
export function pingFailureReason(variantName: string): string {
  return (
    `The primary container for production variant ${variantName} did not pass the ping health check. ` +
    'Please check CloudWatch logs for this endpoint.'
  );
}

/** One invocation as the container sees it. */
export interface ContainerRequest {
  readonly body: Buffer;
  /** Content-Type of the InvokeEndpoint request (the SDK sends application/octet-stream when none is given). */
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
}

/** The container's HTTP answer. */
export interface ContainerResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

const JSON_TYPE = 'application/json';
const CSV_TYPE = 'text/csv';
/** Types the toolkit decodes as images, audio or numpy arrays: inputs no text pipeline accepts. */
const BINARY_TYPES = new Set([
  'application/x-npy',
  'image/jpeg',
  'image/png',
  'image/tiff',
  'image/bmp',
  'image/gif',
  'image/webp',
  'image/x-image',
  'audio/x-flac',
  'audio/mpeg',
  'audio/wave',
  'audio/ogg',
  'audio/x-audio',
]);

/** What transformers' tokenizers raise when a text pipeline gets an image, audio or an array. */
export const NON_TEXT_INPUT_MESSAGE =
  'text input must be of type `str` (single example), `List[str]` (batch or single pretokenized example) or `List[List[str]]` (batch of pretokenized examples).';

/** A failure the toolkit reports as a PredictionException (HTTP 400 from the container). */
class PredictionError extends Error {
  override readonly name = 'PredictionError';
}

/** Runs one invocation through the emulated container. */
export function invokeHfContainer(
  model: HfModel,
  request: ContainerRequest,
  environment: Readonly<Record<string, string>> = {},
): ContainerResponse {
  try {
    // The toolkit compares content types exactly (no parameters such as charset), as MMS passes them.
    const contentType = request.contentType ?? 'application/octet-stream';
    const accept =
      request.accept === undefined || request.accept === '' || request.accept === '*/*'
        ? JSON_TYPE
        : request.accept;
    const rawTask = environment.HF_TASK ?? model.task;
    if (
      (rawTask === 'zero-shot-classification' || rawTask === 'table-question-answering') &&
      contentType === CSV_TYPE
    ) {
      throw new PredictionError(
        `content type ${contentType} not support with ${rawTask}, use different content_type`,
      );
    }
    const data = decode(request.body, contentType);
    const { inputs, parameters } = splitRequest(data, model.task);
    const prediction = HF_CONTAINER_TASKS[model.task](model.modelId, inputs, parameters);
    return { status: 200, body: encode(prediction, accept), contentType: accept };
  } catch (error) {
    if (error instanceof PredictionError || error instanceof PipelineInputError) {
      return predictionException(400, error.message);
    }
    throw error;
  }
}

/** MMS's answer to a PredictionException: the status and a JSON body `{"code", "type", "message"}`. */
export function predictionException(status: number, message: string): ContainerResponse {
  return {
    status,
    body: `${JSON.stringify({ code: status, type: 'InternalServerException', message }, null, 4)}\n`,
    contentType: JSON_TYPE,
  };
}

/** sagemaker_inference's UnsupportedFormatError text (its odd indentation and "to to" included). */
export function unsupportedFormatMessage(contentType: string): string {
  return (
    `Content type ${contentType} is not supported by this framework.\n\n` +
    '            Please implement input_fn to to deserialize the request data or an output_fn to\n' +
    '            serialize the response. For more information, see the SageMaker Python SDK README.'
  );
}

function decode(body: Buffer, contentType: string): unknown {
  if (contentType === JSON_TYPE) {
    const text = body.toString('utf8');
    if (text.trim() === '') throw new PredictionError('Expecting value: line 1 column 1 (char 0)');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new PredictionError(`Invalid JSON body: ${(error as Error).message}`);
    }
  }
  if (contentType === CSV_TYPE) return decodeCsv(body.toString('utf8'));
  // The toolkit hands the pipeline an image, audio or array object; every pipeline emulated here takes
  // text, and transformers' tokenizers refuse anything else (the container answers 400).
  if (BINARY_TYPES.has(contentType)) throw new PredictionError(NON_TEXT_INPUT_MESSAGE);
  throw new PredictionError(unsupportedFormatMessage(contentType));
}

/** The toolkit's decode_csv: a header naming question/context/inputs is required. */
function decodeCsv(text: string): unknown {
  const rows = parseCsv(text);
  const header = rows[0] ?? [];
  const firstLine = text.split(/\r?\n/)[0]?.toLowerCase() ?? '';
  if (!['question', 'context', 'inputs'].some((h) => firstLine.includes(h))) {
    throw new PredictionError(
      'You need to provide the correct CSV with Header columns to use it with the inference toolkit default handler.',
    );
  }
  const records = rows
    .slice(1)
    .filter((r) => r.length > 1 || (r[0] ?? '') !== '')
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
  if (header.includes('inputs')) return { inputs: records.map((r) => r.inputs ?? '') };
  return { inputs: records };
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text.charAt(i + 1) === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * The toolkit's predict(): `inputs = data.pop("inputs", data)`, `parameters = data.pop("parameters")`.
 * Without "inputs" the whole body becomes the pipeline input, which only the question-answering pipeline
 * accepts (`{"question", "context"}`); for the others the request is refused with a clear message.
 */
function splitRequest(data: unknown, task: HfContainerTask): { inputs: unknown; parameters: Params } {
  if (Array.isArray(data)) throw new PredictionError('pop expected at most 1 argument, got 2');
  if (data === null || typeof data !== 'object') {
    throw new PredictionError(`'${pythonType(data)}' object has no attribute 'pop'`);
  }
  const { inputs, parameters, ...rest } = data as Record<string, unknown>;
  if (
    parameters !== undefined &&
    parameters !== null &&
    (typeof parameters !== 'object' || Array.isArray(parameters))
  ) {
    throw new PredictionError(`argument after ** must be a mapping, not ${pythonType(parameters)}`);
  }
  const params = (parameters ?? {}) as Params;
  if (inputs !== undefined) return { inputs, parameters: params };
  if (task === 'question-answering' && 'question' in rest && 'context' in rest)
    return { inputs: rest, parameters: params };
  throw new PredictionError(
    'The request body has no "inputs" key: the HuggingFace inference toolkit expects ' +
      `{"inputs": ..., "parameters": {...}}; got keys ${JSON.stringify(Object.keys(data))}.`,
  );
}

function encode(prediction: unknown, accept: string): string {
  if (accept === JSON_TYPE) return JSON.stringify(prediction);
  if (accept === CSV_TYPE) return encodeCsv(prediction);
  throw new PredictionError(unsupportedFormatMessage(accept));
}

/** The toolkit's encode_csv: a list of flat records, header from the first one. */
function encodeCsv(prediction: unknown): string {
  const list: unknown[] = Array.isArray(prediction)
    ? prediction
    : prediction !== null && typeof prediction === 'object'
      ? Object.keys(prediction)
      : [prediction];
  const first = list[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) {
    throw new PredictionError(`'${pythonType(first)}' object has no attribute 'keys'`);
  }
  const header = Object.keys(first);
  const cell = (v: unknown): string => {
    const s =
      typeof v === 'string'
        ? v
        : typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [header.map(cell).join(',')];
  for (const record of list) {
    const r = (record ?? {}) as Record<string, unknown>;
    lines.push(header.map((h) => cell(r[h] ?? '')).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
