// Errors the watch layer distinguishes: they decide between resume, relist and back-off.

/** A Kubernetes API failure: an HTTP status or an ERROR watch event, with its Status fields. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  /** From the Retry-After header (or Status details.retryAfterSeconds). */
  readonly retryAfterMs: number | undefined;
  /** details.causes[].reason, e.g. ResourceVersionTooLarge. */
  readonly causes: readonly string[];

  constructor(statusCode: number, reason: string, message: string, retryAfterMs?: number, causes: string[] = []) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
    this.causes = causes;
  }
}

/** The server sent something that is not the Kubernetes protocol (bad JSON, missing fields). */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Thrown into the run loop when a caller asked for a full relist (e.g. the shard filter changed). */
export class RelistRequested extends Error {
  override name = 'RelistRequested';
}

/** Builds an ApiError from a Status body (may be absent or not JSON). */
export function statusError(code: number, body: unknown, retryAfterMs?: number): ApiError {
  const s = (typeof body === 'object' && body !== null ? body : {}) as {
    code?: unknown;
    reason?: unknown;
    message?: unknown;
    details?: { causes?: { reason?: unknown }[]; retryAfterSeconds?: unknown };
  };
  const status = typeof s.code === 'number' && s.code > 0 ? s.code : code;
  const reason = typeof s.reason === 'string' ? s.reason : '';
  const message = typeof s.message === 'string' ? s.message : `HTTP ${status}`;
  const causes = Array.isArray(s.details?.causes)
    ? s.details.causes.map((c) => (typeof c?.reason === 'string' ? c.reason : '')).filter((r) => r !== '')
    : [];
  const detailRetry = typeof s.details?.retryAfterSeconds === 'number' ? s.details.retryAfterSeconds * 1000 : undefined;
  return new ApiError(status, reason, message, retryAfterMs ?? detailRetry, causes);
}

/** 410 Gone/Expired: the resume point (watch RV or continue token) is no longer served → full relist. */
export function isExpired(err: unknown): boolean {
  return err instanceof ApiError && (err.statusCode === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

/**
 * The server is behind our resourceVersion (e.g. restored from an etcd backup, or a lagging watch cache
 * that gave up): resuming cannot work, a fresh list can.
 */
export function isResourceVersionTooLarge(err: unknown): boolean {
  return err instanceof ApiError && err.causes.includes('ResourceVersionTooLarge');
}
