// Errors of the audit log. Messages name the file and the operating-system error code, never a
// record's content or the key, so they can go to a process log or an HTTP 500 as they are.

/** Base class, so callers can tell audit failures from everything else. */
export class AuditError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AuditError'
  }
}

/**
 * A record could not be written (disk full, file too large, I/O error, descriptor closed).
 * The record is not in the log, the chain did not advance, and the next `append` tries again.
 */
export class AuditWriteError extends AuditError {
  /** The operating-system error code (`ENOSPC`, `EFBIG`, `EIO`, `EBADF`…), or `ECLOSED` after `close()`. */
  readonly code: string
  constructor (file: string, code: string, cause?: unknown) {
    super(`audit log ${file}: the record was not written (${code}${describe(code)}); the next append retries`, { cause })
    this.name = 'AuditWriteError'
    this.code = code
  }
}

/** The log cannot be continued without forking its chain (start-up found a damaged last record, or a missing key). */
export class AuditStateError extends AuditError {
  constructor (message: string) {
    super(message)
    this.name = 'AuditStateError'
  }
}

export function errnoCode (err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

function describe (code: string): string {
  switch (code) {
    case 'ENOSPC': return ': no space left on the device'
    case 'EDQUOT': return ': disk quota exceeded'
    case 'EFBIG': return ': file size limit reached'
    case 'EIO': return ': input/output error'
    case 'EBADF': return ': file descriptor closed'
    case 'EROFS': return ': read-only file system'
    case 'EACCES': case 'EPERM': return ': permission denied'
    case 'ECLOSED': return ': the audit log was closed'
    default: return ''
  }
}
