import { english, msg, type Message } from '../i18n/voice.js';

/**
 * Errors that reach a user. Each carries a stable `code` (for tests, logs and metrics) and a
 * message that says what was wrong and where; nothing is ever half-done when one is thrown.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_MISSING'
  | 'COMMAND_UNKNOWN'
  | 'COMMAND_USAGE'
  | 'INPUT_INVALID'
  | 'APP_UNKNOWN'
  | 'APP_AMBIGUOUS'
  | 'ENV_UNKNOWN'
  | 'VERSION_UNKNOWN'
  | 'RELEASE_BLOCKED'
  | 'NOT_ALLOWED'
  | 'ENV_LOCKED'
  | 'ENV_FROZEN'
  | 'ENV_HELD'
  | 'ORDER_VIOLATION'
  | 'ALREADY_DEPLOYED'
  | 'NO_ROLLBACK_TARGET'
  | 'APPROVAL_UNKNOWN'
  | 'APPROVAL_CLOSED'
  | 'APPROVAL_PENDING'
  | 'SELF_APPROVAL'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_IMAGE_NOT_FOUND'
  | 'MANIFEST_UNSUPPORTED'
  | 'DEPLOY_REPO_UNREACHABLE'
  | 'DEPLOY_CONFLICT'
  | 'DEPLOY_REFUSED'
  | 'DEPENDENCY_MISSING'
  | 'RATE_LIMITED'
  | 'GITHUB_API_FAILED'
  | 'TIMED_OUT'
  | 'INTERNAL';

export class GantryError extends Error {
  readonly code: ErrorCode;
  /** what was wrong as a message of the catalog, so a reply can say it in the reader's language */
  readonly detail: Message;
  /** a malformed command: the command whose usage line goes with the refusal */
  readonly usage: string | undefined;
  /** `message`: English text (said as it is in every language), or a message of the catalog */
  constructor(code: ErrorCode, message: string | Message, options?: { cause?: unknown; usage?: string; usageLine?: string }) {
    const detail = typeof message === 'string' ? msg('error.text', { text: message }) : message;
    super(options?.usageLine ? `${english(detail)}\nusage: ${options.usageLine}` : english(detail), options);
    this.code = code;
    this.detail = detail;
    this.usage = options?.usage;
    this.name = 'GantryError';
  }
}

/** A manifest that cannot be edited safely; `file` and `line` say where (`detail`: English text or a message). */
export class ManifestError extends GantryError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(
    code: Extract<ErrorCode, 'MANIFEST_INVALID' | 'MANIFEST_IMAGE_NOT_FOUND' | 'MANIFEST_UNSUPPORTED'>,
    file: string,
    line: number | undefined,
    detail: string | Message,
  ) {
    const what = typeof detail === 'string' ? msg('error.text', { text: detail }) : detail;
    super(code, line ? msg('error.manifest.at', { file, line: String(line), detail: what }) : msg('error.manifest.in', { file, detail: what }));
    this.file = file;
    this.line = line;
    this.name = 'ManifestError';
  }
}

export function isGantryError(e: unknown): e is GantryError {
  return e instanceof GantryError;
}
