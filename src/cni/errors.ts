// CNI error objects: the one error type that crosses the plugin boundary.
// Inner code throws CniError when it knows the spec code; anything else is wrapped as 999 by the
// dispatcher (skel does the same), so stdout always carries {cniVersion, code, msg, details}.

/** The error codes of CNI 1.1.0 (spec "Error"), plus libcni's 999 "internal". */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  NotAvailable: 50,
  NotAvailableLimitedConnectivity: 51,
  /** first plugin-specific code */
  PluginSpecific: 100,
  Internal: 999,
} as const

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | number

/** The wire shape printed on stdout. */
export interface CniErrorJson {
  cniVersion?: string
  code: number
  msg: string
  details?: string
}

/** CniError carries a spec code, a short message and optional details. */
export class CniError extends Error {
  readonly code: number
  readonly msg: string
  readonly details: string | undefined

  constructor(code: ErrorCodeValue, msg: string, details?: string) {
    super(details ? `${msg}: ${details}` : msg)
    this.name = 'CniError'
    this.code = code
    this.msg = msg
    this.details = details
  }

  /** toJSON renders the spec's error object; cniVersion is the version in use, when known. */
  toJSON(cniVersion?: string): CniErrorJson {
    return {
      ...(cniVersion ? { cniVersion } : {}),
      code: this.code,
      msg: this.msg,
      ...(this.details ? { details: this.details } : {}),
    }
  }
}

/** asCniError keeps a CniError as it is and wraps anything else as code 999 (no stack). */
export const asCniError = (err: unknown): CniError => {
  if (err instanceof CniError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new CniError(ErrorCode.Internal, message)
}

/** invalidConfig is the usual "code 7" error with the offending detail. */
export const invalidConfig = (details: string): CniError =>
  new CniError(ErrorCode.InvalidConfig, 'invalid network config', details)
