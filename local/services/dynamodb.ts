import { jsonService } from '../protocol/aws-json';
import { AwsError } from '../protocol/errors';
import type { LocalService, ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import {
  applyUpdate,
  evaluateCondition,
  ExpressionScope,
  parseCondition,
  parseUpdate,
  typeOf,
  updatedAttributes,
  type AttributeValue,
  type Condition,
  type Item,
} from './dynamodb-expressions';
import { optionalNumber, optionalObject, optionalString } from './input';

/**
 * DynamoDB (awsJson1_0, `X-Amz-Target: DynamoDB_20120810.<Operation>`): item reads and writes with
 * condition and update expressions, on tables that exist from the start (the project's stacks create
 * them; CreateTable is not emulated). Items are stored as their wire AttributeValues.
 */

/** A key attribute of a table. */
export interface KeyElement {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
  /** S, N or B. */
  readonly AttributeType: 'S' | 'N' | 'B';
}

/** A table that exists from the start. */
export interface TableDefinition {
  readonly name: string;
  readonly key: readonly KeyElement[];
}

interface TableRecord {
  readonly name: string;
  readonly key: readonly KeyElement[];
  readonly createdAt: number;
  /** Items by their key (JSON of the key AttributeValues). */
  items: Record<string, Item>;
}

interface DynamoDbState {
  tables: Record<string, TableRecord>;
}

/** Largest item DynamoDB stores (400 KB). */
const MAX_ITEM_BYTES = 400 * 1024;

/** The emulated DynamoDB. */
export class DynamoDbEmulator {
  /** The awsJson service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<DynamoDbState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
    tables: readonly TableDefinition[],
  ) {
    this.store = new JsonStore<DynamoDbState>(file, () => ({
      tables: Object.fromEntries(
        tables.map((t) => [t.name, { name: t.name, key: t.key, createdAt: Date.now(), items: {} }]),
      ),
    }));
    this.service = jsonService({
      id: 'DynamoDB',
      targetPrefix: 'DynamoDB_20120810',
      protocol: '1.0',
      ctx,
      operations: {
        PutItem: (i) => this.putItem(i),
        GetItem: (i) => this.getItem(i),
        DeleteItem: (i) => this.deleteItem(i),
        UpdateItem: (i) => this.updateItem(i),
        DescribeTable: (i) => this.describeTable(i),
        ListTables: (i) => this.listTables(i),
      },
    });
  }

  private table(input: Readonly<Record<string, unknown>>): TableRecord {
    const name = optionalString(input, 'TableName');
    if (name === undefined) {
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
      );
    }
    const table = this.store.state.tables[name];
    // DynamoDB answers 400 (not 404) for a missing table.
    if (table === undefined)
      throw new AwsError('ResourceNotFoundException', 'Requested resource not found', 400);
    return table;
  }

  private arn(table: string): string {
    return `arn:aws:dynamodb:${this.ctx.region}:${this.ctx.accountId}:table/${table}`;
  }

  private putItem(input: Readonly<Record<string, unknown>>): unknown {
    const table = this.table(input);
    const item = itemOf(input, 'Item');
    const key = keyOfItem(table, item);
    if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) {
      throw new AwsError('ValidationException', 'Item size has exceeded the maximum allowed size');
    }
    const returnValues = returnValuesOf(input, ['NONE', 'ALL_OLD']);
    const scope = scopeOf(input);
    const condition = conditionOf(input, scope);
    scope.assertAllUsed();
    return this.store.mutate((s) => {
      const items = itemsOf(s, table.name);
      const old = items[key];
      checkCondition(condition, old, scope, input);
      items[key] = item;
      return returnValues === 'ALL_OLD' && old !== undefined ? { Attributes: old } : {};
    });
  }

  private getItem(input: Readonly<Record<string, unknown>>): unknown {
    const table = this.table(input);
    const key = keyOf(table, itemOf(input, 'Key'));
    const names = optionalObject(input, 'ExpressionAttributeNames') as Record<string, string> | undefined;
    const projection = optionalString(input, 'ProjectionExpression');
    const item = this.store.state.tables[table.name]?.items[key];
    if (item === undefined) return {};
    if (projection === undefined) return { Item: item };
    const wanted = projection.split(',').map((p) => {
      const name = p.trim().split(/[.[]/)[0] ?? '';
      return name.startsWith('#') ? (names?.[name] ?? name) : name;
    });
    return { Item: Object.fromEntries(Object.entries(item).filter(([k]) => wanted.includes(k))) };
  }

  private deleteItem(input: Readonly<Record<string, unknown>>): unknown {
    const table = this.table(input);
    const key = keyOf(table, itemOf(input, 'Key'));
    const returnValues = returnValuesOf(input, ['NONE', 'ALL_OLD']);
    const scope = scopeOf(input);
    const condition = conditionOf(input, scope);
    scope.assertAllUsed();
    return this.store.mutate((s) => {
      const items = itemsOf(s, table.name);
      const old = items[key];
      checkCondition(condition, old, scope, input);
      delete items[key];
      return returnValues === 'ALL_OLD' && old !== undefined ? { Attributes: old } : {};
    });
  }

  private updateItem(input: Readonly<Record<string, unknown>>): unknown {
    const table = this.table(input);
    const keyItem = itemOf(input, 'Key');
    const key = keyOf(table, keyItem);
    const returnValues = returnValuesOf(input, ['NONE', 'ALL_OLD', 'ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW']);
    const scope = scopeOf(input);
    const condition = conditionOf(input, scope);
    const expression = optionalString(input, 'UpdateExpression');
    const actions = expression === undefined ? [] : parseUpdate(expression, scope);
    scope.assertAllUsed();
    const touched = updatedAttributes(actions);
    const keyName = touched.find((name) => table.key.some((k) => k.AttributeName === name));
    if (keyName !== undefined) {
      throw new AwsError(
        'ValidationException',
        `One or more parameter values were invalid: Cannot update attribute ${keyName}. This attribute is part of the key`,
      );
    }
    return this.store.mutate((s) => {
      const items = itemsOf(s, table.name);
      const old = items[key];
      checkCondition(condition, old, scope, input);
      const updated = applyUpdate(old ?? keyItem, actions, scope);
      if (Buffer.byteLength(JSON.stringify(updated)) > MAX_ITEM_BYTES) {
        throw new AwsError(
          'ValidationException',
          'Item size to update has exceeded the maximum allowed size',
        );
      }
      items[key] = updated;
      const pick = (item: Item | undefined): Item =>
        Object.fromEntries(Object.entries(item ?? {}).filter(([k]) => touched.includes(k)));
      switch (returnValues) {
        case 'ALL_OLD':
          return old === undefined ? {} : { Attributes: old };
        case 'ALL_NEW':
          return { Attributes: updated };
        case 'UPDATED_OLD':
          return old === undefined ? {} : { Attributes: pick(old) };
        case 'UPDATED_NEW':
          return { Attributes: pick(updated) };
        default:
          return {};
      }
    });
  }

  private describeTable(input: Readonly<Record<string, unknown>>): unknown {
    const name = optionalString(input, 'TableName') ?? '';
    const table = this.store.state.tables[name];
    if (table === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Requested resource not found: Table: ${name} not found`,
        400,
      );
    }
    const items = Object.values(table.items);
    return {
      Table: {
        TableName: table.name,
        TableArn: this.arn(table.name),
        TableId: `00000000-0000-0000-0000-${Buffer.from(table.name).toString('hex').slice(0, 12).padEnd(12, '0')}`,
        TableStatus: 'ACTIVE',
        CreationDateTime: table.createdAt / 1000,
        KeySchema: table.key.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
        AttributeDefinitions: table.key.map((k) => ({
          AttributeName: k.AttributeName,
          AttributeType: k.AttributeType,
        })),
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        ItemCount: items.length,
        TableSizeBytes: items.reduce((n, item) => n + Buffer.byteLength(JSON.stringify(item)), 0),
        DeletionProtectionEnabled: false,
      },
    };
  }

  private listTables(input: Readonly<Record<string, unknown>>): unknown {
    const limit = optionalNumber(input, 'Limit') ?? 100;
    const start = optionalString(input, 'ExclusiveStartTableName');
    const names = Object.keys(this.store.state.tables)
      .sort()
      .filter((n) => start === undefined || n > start);
    const page = names.slice(0, limit);
    const last = page[page.length - 1];
    return {
      TableNames: page,
      ...(page.length < names.length && last !== undefined ? { LastEvaluatedTableName: last } : {}),
    };
  }

  /** Table names with their items (as AttributeValues). */
  inventory(): Record<string, unknown> {
    return {
      tables: Object.fromEntries(
        Object.values(this.store.state.tables).map((t) => [t.name, Object.values(t.items)]),
      ),
    };
  }

  /** Back to the initial tables, empty. */
  reset(): void {
    this.store.reset();
  }
}

function itemsOf(state: DynamoDbState, table: string): Record<string, Item> {
  const t = state.tables[table];
  if (t === undefined) throw new AwsError('ResourceNotFoundException', 'Requested resource not found', 400);
  return t.items;
}

function itemOf(input: Readonly<Record<string, unknown>>, field: 'Item' | 'Key'): Item {
  const item = optionalObject(input, field);
  if (item === undefined) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value null at '${field.toLowerCase()}' failed to satisfy constraint: Member must not be null`,
    );
  }
  for (const [name, value] of Object.entries(item)) {
    if (value === null || typeof value !== 'object' || Object.keys(value).length !== 1) {
      throw new AwsError(
        'ValidationException',
        `Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes (attribute ${name})`,
      );
    }
  }
  return item as Item;
}

/** The storage key of an item: its key attributes, checked against the table's key schema. */
function keyOfItem(table: TableRecord, item: Item): string {
  const parts = table.key.map((k) => {
    const value = item[k.AttributeName];
    if (value === undefined) {
      throw new AwsError(
        'ValidationException',
        `One or more parameter values were invalid: Missing the key ${k.AttributeName} in the item`,
      );
    }
    const actual = typeOf(value);
    if (actual !== k.AttributeType) {
      throw new AwsError(
        'ValidationException',
        `One or more parameter values were invalid: Type mismatch for key ${k.AttributeName} expected: ${k.AttributeType} actual: ${actual}`,
      );
    }
    if (value[actual] === '') {
      throw new AwsError(
        'ValidationException',
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${k.AttributeName}`,
      );
    }
    return value;
  });
  return JSON.stringify(parts);
}

/** The storage key of a GetItem/DeleteItem/UpdateItem Key: exactly the key attributes. */
function keyOf(table: TableRecord, key: Item): string {
  const names = Object.keys(key);
  const matches =
    names.length === table.key.length &&
    table.key.every((k) => {
      const v = key[k.AttributeName];
      return v !== undefined && typeOf(v) === k.AttributeType;
    });
  if (!matches)
    throw new AwsError('ValidationException', 'The provided key element does not match the schema');
  return keyOfItem(table, key);
}

function returnValuesOf(input: Readonly<Record<string, unknown>>, allowed: readonly string[]): string {
  const value = optionalString(input, 'ReturnValues') ?? 'NONE';
  if (!allowed.includes(value)) {
    throw new AwsError('ValidationException', `ReturnValues can only be ${allowed.join(' or ')}`);
  }
  return value;
}

function scopeOf(input: Readonly<Record<string, unknown>>): ExpressionScope {
  const names = optionalObject(input, 'ExpressionAttributeNames') as Record<string, string> | undefined;
  const values = optionalObject(input, 'ExpressionAttributeValues') as
    Record<string, AttributeValue> | undefined;
  const hasExpression =
    optionalString(input, 'ConditionExpression') !== undefined ||
    optionalString(input, 'UpdateExpression') !== undefined ||
    optionalString(input, 'ProjectionExpression') !== undefined;
  if (!hasExpression && names !== undefined) {
    throw new AwsError(
      'ValidationException',
      'ExpressionAttributeNames can only be specified when using expressions',
    );
  }
  if (!hasExpression && values !== undefined) {
    throw new AwsError(
      'ValidationException',
      'ExpressionAttributeValues can only be specified when using expressions',
    );
  }
  if (values !== undefined && Object.keys(values).length === 0) {
    throw new AwsError('ValidationException', 'ExpressionAttributeValues must not be empty');
  }
  return new ExpressionScope(names, values);
}

function conditionOf(
  input: Readonly<Record<string, unknown>>,
  scope: ExpressionScope,
): Condition | undefined {
  const expression = optionalString(input, 'ConditionExpression');
  return expression === undefined ? undefined : parseCondition(expression, scope);
}

function checkCondition(
  condition: Condition | undefined,
  item: Item | undefined,
  scope: ExpressionScope,
  input: Readonly<Record<string, unknown>>,
): void {
  if (condition === undefined || evaluateCondition(condition, item, scope)) return;
  const withItem =
    optionalString(input, 'ReturnValuesOnConditionCheckFailure') === 'ALL_OLD' && item !== undefined;
  throw new AwsError(
    'ConditionalCheckFailedException',
    'The conditional request failed',
    400,
    withItem ? { Item: item } : {},
  );
}
