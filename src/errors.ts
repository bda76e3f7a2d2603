// Typed errors with stable codes. The API sends `{code, message, details}`; the CLI prints
// `error: <message>` and exits non-zero. Codes never change meaning; new ones are appended.

export type ErrorCode =
  | 'Invalid' // a manifest or request field breaks a rule (details.field names it)
  | 'ParseError' // YAML/JSON that does not parse (details.line, details.column)
  | 'UnknownKind' // kind or apiVersion Starling does not serve
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Unauthorized' // missing or wrong token
  | 'TooLarge' // a manifest or frame over the size limit
  | 'BadRequest' // a malformed request frame
  | 'ErrImagePull' // image missing and cannot be pulled
  | 'RuntimeUnavailable' // the container runtime, a node or a peer cannot be reached
  | 'RuntimeError' // the container runtime failed an operation
  | 'ConfigError' // an invalid configuration value
  | 'QuotaExceeded' // a ResourceQuota of the namespace refuses the object (exceeded, or requests not specified)
  | 'Forbidden' // an admission rule refuses the object (LimitRange, a namespace being deleted)
  | 'Internal'
  | 'CreateContainerConfigError' // a container's env names a missing ConfigMap/Secret or key
  | 'FailedMount'; // a configMap/secret volume names a missing ConfigMap/Secret or key

export interface FieldError {
  /** JSON path of the field, Kubernetes style: `spec.template.spec.containers[0].name` */
  field: string;
  /** the rule that was broken, in Kubernetes' wording where it has one */
  message: string;
  /** which document of a multi-document manifest (0-based) */
  document?: number;
}

export class StarlingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** structured details (sent as `details` on the wire). Not named `details`: uvu's
     * reporter takes an error's `details` for a diff string and stops on anything else. */
    readonly info: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StarlingError';
  }
  toJSON() {
    return { code: this.code, message: this.message, details: this.info };
  }
}

export class ValidationError extends StarlingError {
  constructor(readonly fieldErrors: FieldError[], message?: string) {
    super('Invalid', message ?? fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '), {
      fieldErrors,
    });
    this.name = 'ValidationError';
  }
}

export class ParseError extends StarlingError {
  constructor(message: string, line?: number, column?: number, document?: number) {
    super('ParseError', message, { line, column, document });
    this.name = 'ParseError';
  }
}

export class ImagePullError extends StarlingError {
  constructor(readonly image: string, message: string) {
    super('ErrImagePull', message, { image });
    this.name = 'ImagePullError';
  }
}

export class RuntimeError extends StarlingError {
  constructor(message: string, code: 'RuntimeError' | 'RuntimeUnavailable' = 'RuntimeError') {
    super(code, message);
    this.name = 'RuntimeError';
  }
}

export const notFound = (what: string) => new StarlingError('NotFound', `${what} not found`);

/** Turns anything thrown into a StarlingError (unknown errors become Internal). */
export function asStarlingError(e: unknown): StarlingError {
  if (e instanceof StarlingError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new StarlingError('Internal', message);
}
