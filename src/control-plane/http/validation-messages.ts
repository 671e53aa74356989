import { z } from 'zod';

/**
 * What a person reads when a request does not fit its schema: `connection.port must be a whole
 * number from 1 to 65535`, never zod's own wording (`expected number, received NaN`) or its paths
 * (`body.connection.port`). Pure: the validator passes `describeIssue` to zod as the error map,
 * so a schema's own message (`must be a svc_… id`) still wins, and the error handler joins the
 * results with `validationMessage`.
 */

/** The part of the request a problem is in, as Fastify names it. */
export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

export interface ValidationProblem {
  readonly path: readonly PropertyKey[];
  readonly code: string;
  /** A predicate for the field, phrased to follow its name: "must be …", "is required". */
  readonly message: string;
}

/** zod's error map: the predicate for one raw issue, without the field's name. */
export function describeIssue(issue: z.core.$ZodRawIssue, part: RequestPart = 'body'): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${expectedValue(issue.expected, issue.schema)}`;
    case 'too_big':
    case 'too_small':
      return sizeRule(issue);
    case 'invalid_value':
      if (issue.input === undefined) return `is required (${mustBeOneOf(issue.values).replace(/^must be /, '')})`;
      return mustBeOneOf(issue.values);
    case 'invalid_union':
      if (issue.discriminator !== undefined && Array.isArray(issue.options)) return mustBeOneOf(issue.options as unknown[]);
      return 'does not match any of the forms it may take';
    case 'unrecognized_keys':
      return unknownKeys(issue.keys, knownKeys(issue.inst), part);
    case 'invalid_format':
      return formatRule(issue.format);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_element':
      return 'has an item that is not allowed';
    case 'custom':
      return 'is not valid';
  }
}

/** How a person names the field at `path`: `connection.port`, `events[0]`, `serviceId`, the `Idempotency-Key` header. */
export function fieldName(part: RequestPart, path: readonly PropertyKey[]): string {
  if (path.length === 0) return wholePart[part];
  if (part === 'headers') return `the ${headerName(String(path[0]))} header`;
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join('');
}

const wholePart: Record<RequestPart, string> = { body: 'the body', querystring: 'the query string', params: 'the path', headers: 'the headers' };

const maxProblems = 10;

/** The whole message: one sentence per field (its first problem), joined by `; `. */
export function validationMessage(part: RequestPart, problems: readonly ValidationProblem[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const problem of problems) {
    // A field with two problems (too long, and a rule that also says so) is told once; unknown keys are the object's own problem.
    const key = `${JSON.stringify(problem.path.map(String))}${problem.code === 'unrecognized_keys' ? ' keys' : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`${fieldName(part, problem.path)} ${problem.message}`);
  }
  if (lines.length === 0) return `${wholePart[part]} is not valid`;
  const shown = lines.slice(0, maxProblems);
  if (lines.length > maxProblems) shown.push(`and ${lines.length - maxProblems} more problems`);
  return shown.join('; ');
}

function expectedValue(expected: string, schema: z.core.$ZodType | undefined): string {
  if (schema instanceof z.ZodNumber) return numberRange(schema);
  switch (expected) {
    case 'number':
    case 'int':
      return expected === 'int' ? 'a whole number' : 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a JSON object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return `a value of type ${expected}`;
  }
}

/** `a whole number from 1 to 65535`: the schema's bounds, since one issue names only the bound it broke. */
function numberRange(schema: z.ZodNumber): string {
  const kind = schema.isInt ? 'a whole number' : 'a number';
  // The bounds of a safe integer are zod's, not the API's: say nothing of them.
  const min = schema.minValue !== null && Math.abs(schema.minValue) < Number.MAX_SAFE_INTEGER ? schema.minValue : null;
  const max = schema.maxValue !== null && Math.abs(schema.maxValue) < Number.MAX_SAFE_INTEGER ? schema.maxValue : null;
  if (min !== null && max !== null) return `${kind} from ${min} to ${max}`;
  if (min !== null) return `${kind} of at least ${min}`;
  if (max !== null) return `${kind} of at most ${max}`;
  return kind;
}

function sizeRule(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall>): string {
  const big = issue.code === 'too_big';
  const bound = Number(big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      if (issue.schema instanceof z.ZodNumber) return `must be ${numberRange(issue.schema)}`;
      return big ? (inclusive ? `must be at most ${bound}` : `must be less than ${bound}`) : inclusive ? `must be at least ${bound}` : `must be more than ${bound}`;
    case 'string':
      if (!big && bound === 1) return 'must not be empty';
      return `must be at ${big ? 'most' : 'least'} ${bound} ${bound === 1 ? 'character' : 'characters'}`;
    case 'array':
    case 'set':
      if (!big && bound === 1) return 'must not be empty';
      return `must have at ${big ? 'most' : 'least'} ${bound} ${bound === 1 ? 'item' : 'items'}`;
    default:
      return big ? `must be at most ${bound}` : `must be at least ${bound}`;
  }
}

function mustBeOneOf(values: readonly unknown[]): string {
  const shown = values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
  if (shown.length === 1) return `must be ${shown[0]}`;
  return `must be one of: ${shown.join(', ')}`;
}

function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

// The key came from the caller: shown bounded and escaped, a few at most.
function unknownKeys(keys: readonly string[], known: readonly string[], part: RequestPart): string {
  const noun = part === 'querystring' ? 'parameter' : part === 'headers' ? 'header' : 'field';
  const named = keys.slice(0, 3).map((key) => (/^[A-Za-z0-9_.-]{1,40}$/.test(key) ? key : JSON.stringify(key.slice(0, 40))));
  const more = keys.length > 3 ? ` and ${keys.length - 3} more` : '';
  const unknown = `${keys.length === 1 ? `an unknown ${noun}` : `unknown ${noun}s`} ${named.join(', ')}${more}`;
  return known.length === 0 ? `takes no ${noun}s, but has ${unknown}` : `takes only ${known.join(', ')}, but has ${unknown}`;
}

function formatRule(format: string): string {
  switch (format) {
    case 'datetime':
      return 'must be a time such as 2026-01-31T12:00:00Z';
    case 'date':
      return 'must be a date such as 2026-01-31';
    case 'url':
      return 'must be a URL';
    case 'email':
      return 'must be an email address';
    case 'uuid':
    case 'guid':
      return 'must be a UUID';
    case 'regex':
      return 'is not in the form this field takes';
    default:
      return `must be a valid ${format}`;
  }
}

function headerName(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('-');
}
