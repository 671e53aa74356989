import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { describeIssue, type RequestPart, type ValidationProblem } from './validation-messages.js';

/** A request that does not fit its route's schema; the error handler renders it as `invalid_request`. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  constructor(
    readonly part: RequestPart,
    readonly problems: readonly ValidationProblem[],
  ) {
    super(`the request's ${part} does not fit its schema`);
  }
}

/**
 * Validates each part of a request with its zod schema, asking `describeIssue` for the wording
 * wherever the schema has none of its own (fastify-type-provider-zod's compiler would keep zod's).
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = requestPart(httpPart);
  return (data) => {
    const result = schema.safeParse(data, { error: (issue) => describeIssue(issue, part) });
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(part, result.error.issues.map(({ path, code, message }) => ({ path, code, message }))) };
  };
};

function requestPart(httpPart: string | undefined): RequestPart {
  return httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers' ? httpPart : 'body';
}
