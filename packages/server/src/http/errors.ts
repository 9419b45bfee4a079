// The one place where error kinds become HTTP statuses, and where every thrown thing becomes an error body.
import { NimbusError, isNimbusError, type ErrorKind } from '@nimbus/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const STATUS: Partial<Record<ErrorKind, number>> = {
  BAD_REQUEST: 400,
  CLOCK_SKEW: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  OTP_REQUIRED: 401,
  OTP_INVALID: 401,
  AUTH_EXPIRED: 401,
  AUTH_REVOKED: 401,
  FORBIDDEN: 403,
  REGISTRATION_CLOSED: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  UPLOAD_MISMATCH: 409,
  CHANGE_TOKEN_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  CLIENT_OUTDATED: 426,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVER_UNAVAILABLE: 503,
  QUOTA_EXCEEDED: 507,
};

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind] ?? 500;
}

/** Fastify's own errors (body parsing, limits) mapped to our kinds. */
function fromFastifyError(error: FastifyError): NimbusError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new NimbusError('PAYLOAD_TOO_LARGE', 'the request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new NimbusError('BAD_REQUEST', `unsupported content type; send application/json`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new NimbusError('BAD_REQUEST', 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new NimbusError('BAD_REQUEST', 'the body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new NimbusError('BAD_REQUEST', 'the content-length does not match the body');
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new NimbusError('BAD_REQUEST', `malformed request: ${error.message}`);
  }
  if (error.statusCode === 413) return new NimbusError('PAYLOAD_TOO_LARGE', error.message);
  if (error.statusCode === 415) return new NimbusError('BAD_REQUEST', error.message);
  if (error.statusCode === 429) return new NimbusError('RATE_LIMITED', error.message);
  return undefined;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: NimbusError): FastifyReply {
  const body = error.toBody();
  body.error.requestId = request.id;
  const retry = error.details.retryAfterSeconds;
  if (typeof retry === 'number') void reply.header('retry-after', String(Math.max(1, Math.ceil(retry))));
  return reply.status(statusOf(error.kind)).type('application/json').send(body);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = isNimbusError(error) ? error : fromFastifyError(error);
    if (known) return sendError(reply, request, known);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, request, new NimbusError('INTERNAL', 'internal server error'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, new NimbusError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
}
