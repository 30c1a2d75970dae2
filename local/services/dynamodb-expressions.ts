import { AwsError } from '../protocol/errors';
import { DYNAMODB_RESERVED_WORDS } from './dynamodb-reserved-words';

/**
 * DynamoDB expressions: a tokenizer, a recursive-descent parser and an evaluator for condition
 * expressions (comparators, BETWEEN, IN, AND/OR/NOT, parentheses, attribute_exists,
 * attribute_not_exists, attribute_type, begins_with, contains, size) and update expressions (SET with
 * `+`/`-`, if_not_exists and list_append; REMOVE; ADD; DELETE), over document paths with #names,
 * :values, map members and list indexes. Errors carry DynamoDB's messages. Pure: no I/O.
 */

/** A DynamoDB AttributeValue as on the wire (`{"S": "x"}`, `{"N": "1"}`, `{"M": {...}}`, ...). */
export type AttributeValue = Readonly<Record<string, unknown>>;
/** An item: attribute name → AttributeValue. */
export type Item = Readonly<Record<string, AttributeValue>>;

/** A step of a document path: a map member or a list index. */
export type PathStep = { readonly member: string } | { readonly index: number };

/** An operand of a condition or of SET. */
export type Operand =
  | { readonly kind: 'path'; readonly path: readonly PathStep[] }
  | { readonly kind: 'value'; readonly name: string }
  | { readonly kind: 'size'; readonly path: readonly PathStep[] }
  | { readonly kind: 'if_not_exists'; readonly path: readonly PathStep[]; readonly fallback: Operand }
  | { readonly kind: 'list_append'; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'arithmetic'; readonly op: '+' | '-'; readonly left: Operand; readonly right: Operand };

/** A parsed condition expression. */
export type Condition =
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly condition: Condition }
  | { readonly kind: 'compare'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly value: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly value: Operand; readonly list: readonly Operand[] }
  | { readonly kind: 'function'; readonly name: ConditionFunction; readonly args: readonly Operand[] };

type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';
type ConditionFunction =
  'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains';

/** One action of an update expression. */
export type UpdateAction =
  | { readonly kind: 'SET'; readonly path: readonly PathStep[]; readonly value: Operand }
  | { readonly kind: 'REMOVE'; readonly path: readonly PathStep[] }
  | { readonly kind: 'ADD' | 'DELETE'; readonly path: readonly PathStep[]; readonly value: Operand };

/**
 * The request's ExpressionAttributeNames/Values, and which of them the expressions used (DynamoDB
 * refuses unused ones).
 */
export class ExpressionScope {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(
    readonly names: Readonly<Record<string, string>> | undefined,
    readonly values: Readonly<Record<string, AttributeValue>> | undefined,
  ) {}

  /** Refuses names or values no expression used, as DynamoDB does. */
  assertAllUsed(): void {
    const unusedValues = Object.keys(this.values ?? {}).filter((k) => !this.usedValues.has(k));
    if (unusedValues.length > 0) {
      throw validation(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
    }
    const unusedNames = Object.keys(this.names ?? {}).filter((k) => !this.usedNames.has(k));
    if (unusedNames.length > 0) {
      throw validation(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    }
  }

  value(name: string): AttributeValue {
    const v = this.values?.[name];
    if (v === undefined) throw new Error(`unresolved ${name}`);
    return v;
  }
}

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

// --- tokens -------------------------------------------------------------------------------------

interface Tok {
  readonly type: 'ident' | 'name' | 'value' | 'number' | 'cmp' | 'punct' | 'eof';
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

function tokenize(source: string, label: string): Tok[] {
  const out: Tok[] = [];
  const re =
    /\s+|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|(<=|>=|<>|=|<|>)|([(),.[\]+-])|([A-Za-z_][A-Za-z0-9_]*)|(\d+)/y;
  let pos = 0;
  while (pos < source.length) {
    re.lastIndex = pos;
    const m = re.exec(source);
    if (m === null) {
      const bad = source.charAt(pos);
      throw validation(
        `Invalid ${label}: Syntax error; token: "${bad}", near: "${source.slice(Math.max(0, pos - 8), pos + 8).trim()}"`,
      );
    }
    const text = m[0];
    const type: Tok['type'] | undefined =
      m[1] !== undefined
        ? 'name'
        : m[2] !== undefined
          ? 'value'
          : m[3] !== undefined
            ? 'cmp'
            : m[4] !== undefined
              ? 'punct'
              : m[5] !== undefined
                ? 'ident'
                : m[6] !== undefined
                  ? 'number'
                  : undefined;
    if (type !== undefined) out.push({ type, text, start: pos, end: pos + text.length });
    pos += text.length;
  }
  out.push({ type: 'eof', text: '<EOF>', start: source.length, end: source.length });
  return out;
}

// --- parser -------------------------------------------------------------------------------------

class Parser {
  private i = 0;
  private readonly toks: Tok[];

  constructor(
    private readonly source: string,
    private readonly label: string,
    private readonly scope: ExpressionScope,
  ) {
    this.toks = tokenize(source, label);
  }

  private peek(offset = 0): Tok {
    return (
      this.toks[Math.min(this.i + offset, this.toks.length - 1)] ?? {
        type: 'eof',
        text: '<EOF>',
        start: 0,
        end: 0,
      }
    );
  }

  private next(): Tok {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'ident' && t.text.toUpperCase() === word;
  }

  private isPunct(p: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'punct' && t.text === p;
  }

  syntaxError(tok: Tok = this.peek()): AwsError {
    // DynamoDB shows the offending token with its neighbours.
    const at = this.toks.indexOf(tok);
    const prev = this.toks[at - 1];
    const after = this.toks[at + 1];
    const nearStart = prev?.start ?? tok.start;
    const nearEnd = tok.type === 'eof' || after === undefined || after.type === 'eof' ? tok.end : after.end;
    const shown = tok.type === 'eof' ? '<EOF>' : `"${tok.text}"`;
    return validation(
      `Invalid ${this.label}: Syntax error; token: ${shown}, near: "${this.source.slice(nearStart, nearEnd).trim()}"`,
    );
  }

  private expectPunct(p: string): void {
    if (!this.isPunct(p)) throw this.syntaxError();
    this.next();
  }

  atEnd(): boolean {
    return this.peek().type === 'eof';
  }

  // Conditions

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', condition: this.negation() };
    }
    return this.primary();
  }

  private primary(): Condition {
    if (this.isPunct('(')) {
      this.next();
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    const t = this.peek();
    if (t.type === 'ident' && this.isPunct('(', 1) && t.text !== 'size') return this.conditionFunction();
    const left = this.operand();
    const op = this.peek();
    if (op.type === 'cmp') {
      this.next();
      return { kind: 'compare', op: op.text as Comparator, left, right: this.operand() };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isKeyword('AND')) throw this.syntaxError();
      this.next();
      return { kind: 'between', value: left, low, high: this.operand() };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expectPunct('(');
      const list = [this.operand()];
      while (this.isPunct(',')) {
        this.next();
        list.push(this.operand());
      }
      this.expectPunct(')');
      return { kind: 'in', value: left, list };
    }
    throw this.syntaxError();
  }

  private conditionFunction(): Condition {
    const nameTok = this.next();
    const name = nameTok.text;
    const arity: Readonly<Record<ConditionFunction, number>> = {
      attribute_exists: 1,
      attribute_not_exists: 1,
      attribute_type: 2,
      begins_with: 2,
      contains: 2,
    };
    if (!(name in arity)) {
      throw validation(`Invalid ${this.label}: Invalid function name; function: ${name}`);
    }
    const fn = name as ConditionFunction;
    const args = this.argumentList();
    if (args.length !== arity[fn]) {
      throw validation(
        `Invalid ${this.label}: Incorrect number of operands for operator or function; operator or function: ${fn}, number of operands: ${args.length}`,
      );
    }
    if (args[0]?.kind !== 'path') {
      throw validation(
        `Invalid ${this.label}: Operator or function requires a document path; operator or function: ${fn}`,
      );
    }
    return { kind: 'function', name: fn, args };
  }

  private argumentList(): Operand[] {
    this.expectPunct('(');
    const args = [this.operand()];
    while (this.isPunct(',')) {
      this.next();
      args.push(this.operand());
    }
    this.expectPunct(')');
    return args;
  }

  operand(): Operand {
    const t = this.peek();
    if (t.type === 'value') {
      this.next();
      if (this.scope.values?.[t.text] === undefined) {
        throw validation(
          `Invalid ${this.label}: An expression attribute value used in expression is not defined; attribute value: ${t.text}`,
        );
      }
      this.scope.usedValues.add(t.text);
      return { kind: 'value', name: t.text };
    }
    if (t.type === 'ident' && this.isPunct('(', 1)) {
      if (t.text === 'size') {
        this.next();
        const args = this.argumentList();
        const first = args[0];
        if (args.length !== 1 || first?.kind !== 'path') {
          throw validation(
            `Invalid ${this.label}: Operator or function requires a document path; operator or function: size`,
          );
        }
        return { kind: 'size', path: first.path };
      }
      if (this.label === 'UpdateExpression' && (t.text === 'if_not_exists' || t.text === 'list_append')) {
        this.next();
        const args = this.argumentList();
        const [a, b] = args;
        if (args.length !== 2 || a === undefined || b === undefined) {
          throw validation(
            `Invalid ${this.label}: Incorrect number of operands for operator or function; operator or function: ${t.text}, number of operands: ${args.length}`,
          );
        }
        if (t.text === 'if_not_exists') {
          if (a.kind !== 'path') {
            throw validation(
              `Invalid ${this.label}: Operator or function requires a document path; operator or function: if_not_exists`,
            );
          }
          return { kind: 'if_not_exists', path: a.path, fallback: b };
        }
        return { kind: 'list_append', left: a, right: b };
      }
      throw validation(`Invalid ${this.label}: Invalid function name; function: ${t.text}`);
    }
    return { kind: 'path', path: this.path() };
  }

  path(): PathStep[] {
    const steps: PathStep[] = [this.member()];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        steps.push(this.member());
      } else if (this.isPunct('[')) {
        this.next();
        const n = this.next();
        if (n.type !== 'number') throw this.syntaxError(n);
        this.expectPunct(']');
        steps.push({ index: Number(n.text) });
      } else {
        return steps;
      }
    }
  }

  private member(): PathStep {
    const t = this.next();
    if (t.type === 'name') {
      const resolved = this.scope.names?.[t.text];
      if (resolved === undefined) {
        throw validation(
          `Invalid ${this.label}: An expression attribute name used in the document path is not defined; attribute name: ${t.text}`,
        );
      }
      this.scope.usedNames.add(t.text);
      return { member: resolved };
    }
    if (t.type === 'ident') {
      if (DYNAMODB_RESERVED_WORDS.has(t.text.toUpperCase())) {
        throw validation(
          `Invalid ${this.label}: Attribute name is a reserved keyword; reserved keyword: ${t.text}`,
        );
      }
      return { member: t.text };
    }
    throw this.syntaxError(t);
  }

  // Updates

  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (!this.atEnd()) {
      const clause = this.peek().text.toUpperCase();
      if (this.peek().type !== 'ident' || !['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause))
        throw this.syntaxError();
      if (seen.has(clause)) {
        throw validation(
          `Invalid ${this.label}: The "${clause}" section can only be used once in an update expression;`,
        );
      }
      seen.add(clause);
      this.next();
      for (;;) {
        const path = this.path();
        if (clause === 'SET') {
          const eq = this.next();
          if (eq.type !== 'cmp' || eq.text !== '=') throw this.syntaxError(eq);
          actions.push({ kind: 'SET', path, value: this.setValue() });
        } else if (clause === 'REMOVE') {
          actions.push({ kind: 'REMOVE', path });
        } else {
          actions.push({ kind: clause as 'ADD' | 'DELETE', path, value: this.operand() });
        }
        if (!this.isPunct(',')) break;
        this.next();
      }
    }
    if (actions.length === 0) throw this.syntaxError();
    return actions;
  }

  private setValue(): Operand {
    const left = this.operand();
    if (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().text as '+' | '-';
      return { kind: 'arithmetic', op, left, right: this.operand() };
    }
    return left;
  }
}

/** Parses a condition expression (`label` names it in errors: ConditionExpression, FilterExpression...). */
export function parseCondition(
  source: string,
  scope: ExpressionScope,
  label = 'ConditionExpression',
): Condition {
  if (source.trim() === '') throw validation(`Invalid ${label}: The expression can not be empty;`);
  const parser = new Parser(source, label, scope);
  const condition = parser.condition();
  if (!parser.atEnd()) throw parser.syntaxError();
  return condition;
}

/** Parses an update expression. */
export function parseUpdate(source: string, scope: ExpressionScope): UpdateAction[] {
  if (source.trim() === '') throw validation('Invalid UpdateExpression: The expression can not be empty;');
  return new Parser(source, 'UpdateExpression', scope).update();
}

// --- evaluation ---------------------------------------------------------------------------------

/** The value at a document path of an item, or undefined. */
export function getPath(item: Item | undefined, path: readonly PathStep[]): AttributeValue | undefined {
  let node: AttributeValue | undefined = undefined;
  for (const [i, step] of path.entries()) {
    if (i === 0) {
      node = 'member' in step ? item?.[step.member] : undefined;
      continue;
    }
    if (node === undefined) return undefined;
    if ('member' in step) {
      const map = node.M as Record<string, AttributeValue> | undefined;
      node = map?.[step.member];
    } else {
      const list = node.L as AttributeValue[] | undefined;
      node = list?.[step.index];
    }
  }
  return node;
}

/** The type tag of an AttributeValue (S, N, B, BOOL, NULL, SS, NS, BS, L, M). */
export function typeOf(value: AttributeValue): string {
  return Object.keys(value)[0] ?? '';
}

function resolve(
  operand: Operand,
  item: Item | undefined,
  scope: ExpressionScope,
): AttributeValue | undefined {
  switch (operand.kind) {
    case 'value':
      return scope.value(operand.name);
    case 'path':
      return getPath(item, operand.path);
    case 'size': {
      const v = getPath(item, operand.path);
      if (v === undefined) return undefined;
      const t = typeOf(v);
      const inner = v[t];
      const n =
        t === 'S'
          ? Buffer.byteLength(String(inner))
          : t === 'B'
            ? Buffer.from(String(inner), 'base64').length
            : Array.isArray(inner)
              ? inner.length
              : t === 'M'
                ? Object.keys(inner as object).length
                : undefined;
      return n === undefined ? undefined : { N: String(n) };
    }
    case 'if_not_exists':
      return getPath(item, operand.path) ?? resolve(operand.fallback, item, scope);
    case 'list_append': {
      const a = resolve(operand.left, item, scope);
      const b = resolve(operand.right, item, scope);
      if (a === undefined || b === undefined) throw missingOperand();
      if (typeOf(a) !== 'L' || typeOf(b) !== 'L')
        throw operandType('list_append', typeOf(typeOf(a) !== 'L' ? a : b));
      return { L: [...(a.L as AttributeValue[]), ...(b.L as AttributeValue[])] };
    }
    case 'arithmetic': {
      const a = resolve(operand.left, item, scope);
      const b = resolve(operand.right, item, scope);
      if (a === undefined || b === undefined) throw missingOperand();
      if (typeOf(a) !== 'N' || typeOf(b) !== 'N')
        throw operandType(operand.op, typeOf(typeOf(a) !== 'N' ? a : b));
      const x = Number(a.N);
      const y = Number(b.N);
      return { N: String(operand.op === '+' ? x + y : x - y) };
    }
  }
}

function missingOperand(): AwsError {
  return validation('The provided expression refers to an attribute that does not exist in the item');
}

function operandType(op: string, type: string): AwsError {
  return validation(
    `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${op}, operand type: ${type}`,
  );
}

/** True when two AttributeValues are equal (numbers by value, sets regardless of order). */
export function attributeEquals(a: AttributeValue, b: AttributeValue): boolean {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  const va = a[ta];
  const vb = b[ta];
  switch (ta) {
    case 'N':
      return Number(va) === Number(vb);
    case 'SS':
    case 'BS':
      return sameSet(va as string[], vb as string[], (x) => x);
    case 'NS':
      return sameSet(va as string[], vb as string[], (x) => String(Number(x)));
    case 'L': {
      const la = va as AttributeValue[];
      const lb = vb as AttributeValue[];
      return la.length === lb.length && la.every((x, i) => lb[i] !== undefined && attributeEquals(x, lb[i]));
    }
    case 'M': {
      const ma = va as Record<string, AttributeValue>;
      const mb = vb as Record<string, AttributeValue>;
      const keys = Object.keys(ma);
      return (
        keys.length === Object.keys(mb).length &&
        keys.every((k) => {
          const x = ma[k];
          const y = mb[k];
          return x !== undefined && y !== undefined && attributeEquals(x, y);
        })
      );
    }
    default:
      return va === vb;
  }
}

function sameSet(a: readonly string[], b: readonly string[], norm: (x: string) => string): boolean {
  const sa = new Set(a.map(norm));
  const sb = new Set(b.map(norm));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Orders two scalars of the same type (N numerically, S by code points, B by bytes); undefined when not comparable. */
function order(a: AttributeValue, b: AttributeValue): number | undefined {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return undefined;
  if (ta === 'N') return Math.sign(Number(a.N) - Number(b.N));
  if (ta === 'S') {
    const x = String(a.S);
    const y = String(b.S);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ta === 'B')
    return Buffer.compare(Buffer.from(String(a.B), 'base64'), Buffer.from(String(b.B), 'base64'));
  return undefined;
}

/** Evaluates a condition against an item (undefined: no item exists). */
export function evaluateCondition(
  condition: Condition,
  item: Item | undefined,
  scope: ExpressionScope,
): boolean {
  const value = (o: Operand): AttributeValue | undefined => resolve(o, item, scope);
  switch (condition.kind) {
    case 'and':
      return (
        evaluateCondition(condition.left, item, scope) && evaluateCondition(condition.right, item, scope)
      );
    case 'or':
      return (
        evaluateCondition(condition.left, item, scope) || evaluateCondition(condition.right, item, scope)
      );
    case 'not':
      return !evaluateCondition(condition.condition, item, scope);
    case 'compare': {
      const a = value(condition.left);
      const b = value(condition.right);
      if (condition.op === '<>') return a === undefined || b === undefined || !attributeEquals(a, b);
      if (a === undefined || b === undefined) return false;
      if (condition.op === '=') return attributeEquals(a, b);
      const c = order(a, b);
      if (c === undefined) return false;
      return condition.op === '<'
        ? c < 0
        : condition.op === '<='
          ? c <= 0
          : condition.op === '>'
            ? c > 0
            : c >= 0;
    }
    case 'between': {
      const v = value(condition.value);
      const lo = value(condition.low);
      const hi = value(condition.high);
      if (v === undefined || lo === undefined || hi === undefined) return false;
      const a = order(v, lo);
      const b = order(v, hi);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case 'in': {
      const v = value(condition.value);
      return (
        v !== undefined &&
        condition.list.some((o) => {
          const x = value(o);
          return x !== undefined && attributeEquals(v, x);
        })
      );
    }
    case 'function': {
      const [first, second] = condition.args;
      const target = first === undefined ? undefined : value(first);
      const arg = second === undefined ? undefined : value(second);
      switch (condition.name) {
        case 'attribute_exists':
          return target !== undefined;
        case 'attribute_not_exists':
          return target === undefined;
        case 'attribute_type':
          return target !== undefined && arg !== undefined && typeOf(arg) === 'S' && typeOf(target) === arg.S;
        case 'begins_with': {
          if (target === undefined || arg === undefined) return false;
          if (typeOf(target) === 'S' && typeOf(arg) === 'S')
            return String(target.S).startsWith(String(arg.S));
          if (typeOf(target) === 'B' && typeOf(arg) === 'B') {
            const t = Buffer.from(String(target.B), 'base64');
            const p = Buffer.from(String(arg.B), 'base64');
            return t.subarray(0, p.length).equals(p);
          }
          return false;
        }
        case 'contains': {
          if (target === undefined || arg === undefined) return false;
          const t = typeOf(target);
          if (t === 'S') return typeOf(arg) === 'S' && String(target.S).includes(String(arg.S));
          if (t === 'SS' || t === 'NS' || t === 'BS') {
            const element = t.slice(0, 1);
            return (
              typeOf(arg) === element &&
              (target[t] as string[]).some((x) => attributeEquals({ [element]: x }, arg))
            );
          }
          if (t === 'L') return (target.L as AttributeValue[]).some((x) => attributeEquals(x, arg));
          return false;
        }
      }
    }
  }
}

/** Applies update actions to an item (all operands read from the item as it was before the update). */
export function applyUpdate(item: Item, actions: readonly UpdateAction[], scope: ExpressionScope): Item {
  const planned = actions.map((a) => ({
    action: a,
    value: a.kind === 'REMOVE' ? undefined : resolve(a.value, item, scope),
  }));
  let next: Record<string, AttributeValue> = structuredClone(item);
  for (const { action, value } of planned) {
    if (action.kind === 'REMOVE') {
      next = removePath(next, action.path);
      continue;
    }
    if (value === undefined) throw missingOperand();
    if (action.kind === 'SET') {
      next = setPath(next, action.path, value);
      continue;
    }
    const current = getPath(next, action.path);
    const t = typeOf(value);
    if (action.kind === 'ADD') {
      if (t === 'N') {
        if (current !== undefined && typeOf(current) !== 'N') throw operandType('ADD', typeOf(current));
        next = setPath(next, action.path, { N: String(Number(current?.N ?? 0) + Number(value.N)) });
      } else if (t === 'SS' || t === 'NS' || t === 'BS') {
        if (current !== undefined && typeOf(current) !== t) throw operandType('ADD', typeOf(current));
        const merged = [
          ...new Set([...((current?.[t] as string[] | undefined) ?? []), ...(value[t] as string[])]),
        ];
        next = setPath(next, action.path, { [t]: merged });
      } else {
        throw operandType('ADD', t);
      }
    } else {
      if (t !== 'SS' && t !== 'NS' && t !== 'BS') throw operandType('DELETE', t);
      if (current === undefined) continue;
      if (typeOf(current) !== t) throw operandType('DELETE', typeOf(current));
      const remove = new Set(value[t] as string[]);
      const kept = (current[t] as string[]).filter((x) => !remove.has(x));
      next = kept.length === 0 ? removePath(next, action.path) : setPath(next, action.path, { [t]: kept });
    }
  }
  return next;
}

function invalidPath(): AwsError {
  return validation('The document path provided in the update expression is invalid for update');
}

function setPath(
  item: Record<string, AttributeValue>,
  path: readonly PathStep[],
  value: AttributeValue,
): Record<string, AttributeValue> {
  const [head, ...rest] = path;
  if (head === undefined || !('member' in head)) throw invalidPath();
  if (rest.length === 0) return { ...item, [head.member]: value };
  const parent = item[head.member];
  if (parent === undefined) throw invalidPath();
  return { ...item, [head.member]: setIn(parent, rest, value) };
}

function setIn(node: AttributeValue, path: readonly PathStep[], value: AttributeValue): AttributeValue {
  const [step, ...rest] = path;
  if (step === undefined) return value;
  if ('member' in step) {
    if (typeOf(node) !== 'M') throw invalidPath();
    const map = node.M as Record<string, AttributeValue>;
    const child = map[step.member];
    if (rest.length > 0 && child === undefined) throw invalidPath();
    return { M: { ...map, [step.member]: rest.length === 0 ? value : setIn(child ?? {}, rest, value) } };
  }
  if (typeOf(node) !== 'L') throw invalidPath();
  const list = [...(node.L as AttributeValue[])];
  const child = list[step.index];
  if (rest.length > 0 && child === undefined) throw invalidPath();
  // DynamoDB appends when the index is past the end of the list.
  const at = Math.min(step.index, list.length);
  list[at] = rest.length === 0 ? value : setIn(child ?? {}, rest, value);
  return { L: list };
}

function removePath(
  item: Record<string, AttributeValue>,
  path: readonly PathStep[],
): Record<string, AttributeValue> {
  const [head, ...rest] = path;
  if (head === undefined || !('member' in head)) throw invalidPath();
  if (rest.length === 0) {
    const { [head.member]: _removed, ...kept } = item;
    return kept;
  }
  const parent = item[head.member];
  if (parent === undefined) return item;
  return { ...item, [head.member]: removeIn(parent, rest) };
}

function removeIn(node: AttributeValue, path: readonly PathStep[]): AttributeValue {
  const [step, ...rest] = path;
  if (step === undefined) return node;
  if ('member' in step) {
    if (typeOf(node) !== 'M') return node;
    const map = node.M as Record<string, AttributeValue>;
    const child = map[step.member];
    if (child === undefined) return node;
    if (rest.length === 0) {
      const { [step.member]: _removed, ...kept } = map;
      return { M: kept };
    }
    return { M: { ...map, [step.member]: removeIn(child, rest) } };
  }
  if (typeOf(node) !== 'L') return node;
  const list = node.L as AttributeValue[];
  const child = list[step.index];
  if (child === undefined) return node;
  if (rest.length === 0) return { L: list.filter((_, i) => i !== step.index) };
  return { L: list.map((x, i) => (i === step.index ? removeIn(x, rest) : x)) };
}

/** Top-level attribute names an update touches (for key-attribute checks and UPDATED_* return values). */
export function updatedAttributes(actions: readonly UpdateAction[]): string[] {
  return [
    ...new Set(
      actions.flatMap((a) => (a.path[0] !== undefined && 'member' in a.path[0] ? [a.path[0].member] : [])),
    ),
  ];
}
