import { ManifestError, type ErrorCode } from '../../domain/errors.js';
import { msg, type Params } from '../../i18n/voice.js';
import type { MessageKey } from '../../i18n/messages-en.js';
import type { TrafficFile } from './schema.js';

type ManifestCode = Extract<ErrorCode, 'MANIFEST_INVALID' | 'MANIFEST_IMAGE_NOT_FOUND' | 'MANIFEST_UNSUPPORTED'>;

/** Refuses a traffic file: the message `key` said at `line` of the file (or of the whole file). */
export function refuse(code: ManifestCode, file: TrafficFile, line: number | undefined, key: MessageKey, params?: Params): never {
  throw new ManifestError(code, file.file, line, msg(key, params));
}
