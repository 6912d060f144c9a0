/**
 * docs/openapi.yaml against the API's error table (`errorCodes`, src/errors.ts),
 * both ways: the Error schema's `code` enum is exactly the table; every code has a
 * response of its own that some operation uses; the document names no code the
 * table lacks; and each operation answers a code under that code's HTTP status.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { errorCodes } from '../../src/errors.js';

const DOC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));
const ERROR_SCHEMA = '#/components/schemas/Error';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

type Node = Record<string, unknown>;
const doc = parse(readFileSync(DOC, 'utf8')) as Node;
const tableCodes = Object.keys(errorCodes);
const isObject = (value: unknown): value is Node => typeof value === 'object' && value !== null;

function resolve(ref: string): Node {
  assert.ok(ref.startsWith('#/'), `only local references: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = isObject(node) ? node[part] : undefined;
  assert.ok(isObject(node), `unresolved ${ref}`);
  return node;
}
const deref = (node: Node): Node => (typeof node.$ref === 'string' ? deref(resolve(node.$ref)) : node);
const at = (node: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((n, key) => (isObject(n) ? n[key] : undefined), node);

/** The one code a response's body schema pins (`error.code` const), if it pins one. */
function pinnedCode(response: Node): string | undefined {
  const schema = at(deref(response), 'content', 'application/json', 'schema');
  if (!isObject(schema)) return undefined;
  const parts = Array.isArray(schema.allOf) ? (schema.allOf as Node[]) : [schema];
  const pinned = parts.map((part) => at(deref(part), 'properties', 'error', 'properties', 'code', 'const'));
  const codes = pinned.filter((code): code is string => typeof code === 'string');
  assert.ok(codes.length <= 1, `a response pins two codes: ${codes.join(', ')}`);
  return codes[0];
}

/** Whether a response's body is an Error (directly or as part of an allOf). */
function isErrorBody(response: Node): boolean {
  const schema = at(deref(response), 'content', 'application/json', 'schema');
  if (!isObject(schema)) return false;
  const parts = Array.isArray(schema.allOf) ? (schema.allOf as Node[]) : [schema];
  return parts.some((part) => part.$ref === ERROR_SCHEMA);
}

/** Every code the document names: in an `error.code` schema's enum or const, or an example's `error.code`. */
function namedCodes(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) namedCodes(item, found);
  if (!isObject(node)) return found;
  const code = at(node, 'properties', 'error', 'properties', 'code');
  if (isObject(code)) {
    if (Array.isArray(code.enum)) for (const value of code.enum) found.add(String(value));
    if (code.const !== undefined) found.add(String(code.const));
  }
  const exampleCode = at(node, 'error', 'code');
  if (typeof exampleCode === 'string') found.add(exampleCode);
  for (const value of Object.values(node)) namedCodes(value, found);
  return found;
}

interface OperationResponse {
  where: string;
  status: string;
  response: Node;
}
const operationResponses: OperationResponse[] = Object.entries(doc.paths as Record<string, Node>).flatMap(
  ([path, item]) =>
    METHODS.filter((method) => isObject(item[method])).flatMap((method) =>
      Object.entries((at(item[method], 'responses') ?? {}) as Record<string, Node>).map(([status, response]) => ({
        where: `${method.toUpperCase()} ${path}`,
        status,
        response,
      })),
    ),
);

describe('docs/openapi.yaml error codes', () => {
  it("lists exactly errorCodes in the Error schema's code enum", () => {
    const values = at(resolve(ERROR_SCHEMA), 'properties', 'error', 'properties', 'code', 'enum');
    assert.ok(Array.isArray(values), `${ERROR_SCHEMA} has no error.code enum`);
    const enumCodes = values.map(String);
    for (const code of tableCodes)
      assert.ok(enumCodes.includes(code), `errorCodes has ${code} but the Error schema's code enum lacks it`);
    for (const code of enumCodes)
      assert.ok(tableCodes.includes(code), `the Error schema's code enum has ${code}, which errorCodes lacks`);
  });

  it('names no code errorCodes lacks', () => {
    const named = namedCodes(doc);
    assert.ok(
      named.size >= tableCodes.length,
      `docs/openapi.yaml names ${named.size} codes; errorCodes has ${tableCodes.length}`,
    );
    for (const code of named)
      assert.ok(tableCodes.includes(code), `docs/openapi.yaml names ${code}, which errorCodes lacks`);
  });

  it('has a response for every code, used by some operation', () => {
    const responses = Object.entries(at(doc, 'components', 'responses') as Record<string, Node>);
    for (const code of tableCodes) {
      const own = responses.filter(([, response]) => pinnedCode(response) === code).map(([name]) => name);
      assert.ok(own.length > 0, `errorCodes has ${code} but no response in components.responses pins it`);
      const used = operationResponses.filter(({ response }) => pinnedCode(response) === code);
      assert.ok(used.length > 0, `no operation answers ${code} (components.responses.${own[0]} is unused)`);
    }
  });

  it('answers each code under its status in errorCodes, and every Error answer names its code', () => {
    let checked = 0;
    for (const { where, status, response } of operationResponses) {
      const code = pinnedCode(response);
      if (code === undefined) {
        assert.ok(!isErrorBody(response), `${where} ${status}: an Error answer that names no code`);
        continue;
      }
      const expected = errorCodes[code as keyof typeof errorCodes];
      assert.ok(expected !== undefined, `${where} ${status}: ${code} is not in errorCodes`);
      assert.equal(
        status,
        String(expected.status),
        `${where} answers ${code} as ${status}; errorCodes says ${expected.status}`,
      );
      checked += 1;
    }
    assert.ok(checked >= tableCodes.length, `only ${checked} error answers checked`);
  });
});
