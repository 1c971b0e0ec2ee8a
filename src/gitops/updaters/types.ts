import type { DeployFile, Format } from '../../config/schema.js';

/**
 * The one contract every manifest format implements (src/gitops/updaters/<format>/updater.ts), listed in
 * src/gitops/updaters/index.ts. Updaters edit text, never re-serialize a tree: the result differs
 * from the input only in the image values that changed.
 */

/** An image of the app as the config names it. */
export interface ImageSpec {
  /** the image's name in the app config (`apps.<app>.images.<name>`) */
  name: string;
  /** repository without tag or digest, e.g. `registry.example.com/acme/web` */
  repository: string;
}

/** What one image should become. */
export interface ImageTarget extends ImageSpec {
  tag: string;
  /** `sha256:<64 hex>`; written only when `pin` is true */
  digest?: string;
  pin: boolean;
}

/** An image reference found in a file. */
export interface FoundImage {
  name: string;
  /** the full reference as it stands, e.g. `reg/acme/web:v1.2.3@sha256:…` */
  ref: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** 1-based line of the value */
  line: number;
}

/** One changed value, for previews ("the manifest lines that will change") and logs. */
export interface Change {
  file: string;
  line: number;
  image: string;
  before: string;
  after: string;
}

export interface UpdateResult {
  content: string;
  changes: Change[];
}

export interface Updater {
  readonly format: Format;
  /**
   * Every occurrence of the given images in `content`. Throws ManifestError (MANIFEST_INVALID)
   * for a file it cannot parse.
   */
  read(content: string, file: DeployFile, images: ImageSpec[]): FoundImage[];
  /**
   * Sets every occurrence of each target image. Throws ManifestError when the file cannot be
   * parsed, an image is not found (MANIFEST_IMAGE_NOT_FOUND), or a value cannot be edited safely
   * (anchors, aliases, templated values: MANIFEST_UNSUPPORTED). Re-reads its own output and
   * throws if the new values are not there. An unchanged file returns `changes: []`.
   */
  update(content: string, file: DeployFile, targets: ImageTarget[]): UpdateResult;
}
