// metav1.Status error objects. Clients branch on `code` and `reason` (e.g. 409 Conflict → re-get and retry,
// 410 Expired → relist), so every failure carries the same shape the real apiserver sends.

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus(): Record<string, unknown> {
    return statusObject(this.code, this.reason, this.message, this.details);
  }
}

export function statusObject(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export function successStatus(details?: StatusDetails): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}

const resourceLabel = (plural: string, group: string) => (group ? `${plural}.${group}` : plural);

export const errors = {
  notFound: (plural: string, group: string, name: string) =>
    new ApiError(404, 'NotFound', `${resourceLabel(plural, group)} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    }),
  alreadyExists: (plural: string, group: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${resourceLabel(plural, group)} "${name}" already exists`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    }),
  conflict: (
    plural: string,
    group: string,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ) =>
    new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceLabel(plural, group)} "${name}": ${why}`,
      {
        name,
        ...(group ? { group } : {}),
        kind: plural,
      },
    ),
  invalid: (kind: string, group: string, name: string, field: string, message: string) =>
    new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${field}: ${message}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    }),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  expired: (message: string) => new ApiError(410, 'Expired', message),
  gone: (message: string) => new ApiError(410, 'Gone', message),
};
