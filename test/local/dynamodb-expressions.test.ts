import {
  applyUpdate,
  evaluateCondition,
  ExpressionScope,
  parseCondition,
  parseUpdate,
  type AttributeValue,
  type Item,
} from '../../local/services/dynamodb-expressions';

const ITEM: Item = {
  service: { S: 'sentiment' },
  holder: { S: 'arn:exec:1' },
  expiresAt: { N: '100' },
  active: { BOOL: true },
  tags: { SS: ['a', 'b'] },
  meta: { M: { owner: { S: 'ml-team' }, steps: { L: [{ S: 'create' }, { S: 'wait' }] } } },
};

function check(
  expression: string,
  values: Record<string, AttributeValue> = {},
  names: Record<string, string> = {},
  item: Item | null = ITEM,
): boolean {
  const scope = new ExpressionScope(names, values);
  const condition = parseCondition(expression, scope);
  return evaluateCondition(condition, item ?? undefined, scope);
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('DynamoDB condition expressions', () => {
  it.each([
    ['#s = :v', { ':v': { S: 'sentiment' } }, true],
    ['#s <> :v', { ':v': { S: 'sentiment' } }, false],
    ['expiresAt < :n', { ':n': { N: '101' } }, true],
    ['expiresAt <= :n', { ':n': { N: '100.0' } }, true],
    ['expiresAt > :n', { ':n': { N: '99.5' } }, true],
    ['expiresAt >= :n', { ':n': { N: '1e3' } }, false],
    ['expiresAt = :n', { ':n': { S: '100' } }, false],
    ['expiresAt < :n', { ':n': { S: '9' } }, false],
    ['holder < :s', { ':s': { S: 'arn:exec:2' } }, true],
    ['active = :t', { ':t': { BOOL: true } }, true],
    ['expiresAt BETWEEN :a AND :b', { ':a': { N: '50' }, ':b': { N: '150' } }, true],
    ['expiresAt IN (:a, :b)', { ':a': { N: '1' }, ':b': { N: '100' } }, true],
  ])('evaluates %s', (expression, values, expected) => {
    expect(check(expression, values, expression.includes('#s') ? { '#s': 'service' } : {})).toBe(expected);
  });

  it('evaluates the lock condition: free, ours, or expired', () => {
    const condition = 'attribute_not_exists(#service) OR #holder = :me OR #expiresAt < :now';
    const names = { '#service': 'service', '#holder': 'holder', '#expiresAt': 'expiresAt' };
    expect(check(condition, { ':me': { S: 'arn:exec:2' }, ':now': { N: '50' } }, names)).toBe(false);
    expect(check(condition, { ':me': { S: 'arn:exec:1' }, ':now': { N: '50' } }, names)).toBe(true);
    expect(check(condition, { ':me': { S: 'arn:exec:2' }, ':now': { N: '150' } }, names)).toBe(true);
    expect(check(condition, { ':me': { S: 'x' }, ':now': { N: '0' } }, names, null)).toBe(true);
  });

  it('honours AND, OR, NOT and parentheses with the right precedence', () => {
    const values = { ':a': { N: '1' }, ':b': { N: '100' } };
    expect(check('expiresAt = :a OR expiresAt = :b AND attribute_not_exists(active)', values)).toBe(false);
    expect(check('(expiresAt = :a OR expiresAt = :b) AND attribute_exists(active)', values)).toBe(true);
    expect(check('NOT expiresAt = :a', values)).toBe(true);
    expect(check('not (expiresAt = :b)', values)).toBe(false);
  });

  it('evaluates functions on strings, sets, lists, maps and sizes', () => {
    expect(check('begins_with(holder, :p)', { ':p': { S: 'arn:' } })).toBe(true);
    expect(check('contains(tags, :t)', { ':t': { S: 'b' } })).toBe(true);
    expect(check('contains(holder, :t)', { ':t': { S: 'exec' } })).toBe(true);
    expect(check('contains(meta.steps, :s)', { ':s': { S: 'wait' } })).toBe(true);
    expect(check('meta.#o = :o', { ':o': { S: 'ml-team' } }, { '#o': 'owner' })).toBe(true);
    expect(check('meta.steps[1] = :s', { ':s': { S: 'wait' } })).toBe(true);
    expect(check('size(tags) = :n', { ':n': { N: '2' } })).toBe(true);
    expect(check('attribute_type(expiresAt, :t)', { ':t': { S: 'N' } })).toBe(true);
    expect(check('attribute_exists(meta.absent)')).toBe(false);
  });

  it('treats a missing attribute as unequal to anything and incomparable', () => {
    expect(check('nothing = :v', { ':v': { S: 'x' } })).toBe(false);
    expect(check('nothing <> :v', { ':v': { S: 'x' } })).toBe(true);
    expect(check('nothing < :v', { ':v': { S: 'x' } })).toBe(false);
  });

  it('rejects undefined names and values, reserved words, syntax errors and unknown functions with DynamoDB messages', () => {
    expect(messageOf(() => check('#nope = :v', { ':v': { S: 'x' } }))).toBe(
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope',
    );
    expect(messageOf(() => check('holder = :nope'))).toBe(
      'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope',
    );
    expect(messageOf(() => check('status = :v', { ':v': { S: 'x' } }))).toBe(
      'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status',
    );
    expect(messageOf(() => check('holder = = :v', { ':v': { S: 'x' } }))).toBe(
      'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"',
    );
    expect(messageOf(() => check('holder =', {}))).toBe(
      'Invalid ConditionExpression: Syntax error; token: <EOF>, near: "="',
    );
    expect(messageOf(() => check('exists(holder)'))).toBe(
      'Invalid ConditionExpression: Invalid function name; function: exists',
    );
    expect(messageOf(() => check('begins_with(holder)'))).toBe(
      'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1',
    );
  });

  it('reports names and values the expressions did not use', () => {
    const scope = new ExpressionScope({ '#h': 'holder', '#x': 'x' }, { ':v': { S: 'a' }, ':w': { S: 'b' } });
    parseCondition('#h = :v', scope);
    expect(messageOf(() => scope.assertAllUsed())).toBe(
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}',
    );
  });
});

describe('DynamoDB update expressions', () => {
  function update(expression: string, values: Record<string, AttributeValue> = {}, item: Item = ITEM): Item {
    const scope = new ExpressionScope({ '#h': 'holder' }, values);
    const actions = parseUpdate(expression, scope);
    return applyUpdate(item, actions, scope);
  }

  it('sets, adds arithmetic, if_not_exists and list_append, reading operands from the old item', () => {
    const out = update(
      'SET #h = :h, expiresAt = expiresAt + :d, hits = if_not_exists(hits, :zero), meta.steps = list_append(meta.steps, :more)',
      { ':h': { S: 'arn:exec:2' }, ':d': { N: '5' }, ':zero': { N: '0' }, ':more': { L: [{ S: 'smoke' }] } },
    );
    expect(out.holder).toEqual({ S: 'arn:exec:2' });
    expect(out.expiresAt).toEqual({ N: '105' });
    expect(out.hits).toEqual({ N: '0' });
    expect((out.meta?.M as Record<string, AttributeValue>).steps).toEqual({
      L: [{ S: 'create' }, { S: 'wait' }, { S: 'smoke' }],
    });
  });

  it('removes attributes and adds to numbers and sets', () => {
    const out = update('REMOVE active, meta.steps ADD expiresAt :one, tags :t', {
      ':one': { N: '1' },
      ':t': { SS: ['c'] },
    });
    expect(out.active).toBeUndefined();
    expect(out.meta).toEqual({ M: { owner: { S: 'ml-team' } } });
    expect(out.expiresAt).toEqual({ N: '101' });
    expect(out.tags).toEqual({ SS: ['a', 'b', 'c'] });
  });

  it('rejects arithmetic on a string and a repeated section', () => {
    expect(messageOf(() => update('SET expiresAt = #h + :d', { ':d': { N: '1' } }))).toBe(
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: +, operand type: S',
    );
    expect(messageOf(() => update('SET a = :v SET b = :v', { ':v': { N: '1' } }))).toBe(
      'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
    );
  });
});
