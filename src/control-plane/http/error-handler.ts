import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { RequestValidationError } from './request-validation.js';
import { validationMessage } from './validation-messages.js';

/**
 * The one place errors become HTTP responses: `{"error": {"code", "message"}}` with the status
 * the code maps to. Unexpected errors are logged with their request id and answered without
 * internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError | RequestValidationError, request, reply) => {
    const rendered = render(error);
    if (rendered.status >= 500 && !(error instanceof ApiError)) {
      request.log.error({ err: error }, 'request failed');
    }
    return reply.status(rendered.status).send({ error: { code: rendered.code, message: rendered.message } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}

function render(error: FastifyError | ApiError | RequestValidationError): { status: number; code: string; message: string } {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
  if (error instanceof RequestValidationError) {
    return { status: 400, code: 'invalid_request', message: validationMessage(error.part, error.problems) };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_request', message: 'the body is not valid JSON' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'invalid_request', message: 'send the body as application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'the body is too large' };
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, code: 'invalid_request', message: error.message };
  }
  return { status: 500, code: 'internal_error', message: 'something went wrong on our side; the server log has the details' };
}
