/**
 * Errors a user can act on. Each carries a stable `code`, what it concerns
 * (file and position, field, image or format) and a `hint` saying how to
 * fix it. The CLI prints `message` and `hint` without a stack trace; any
 * other error is a bug and is printed with its stack.
 */
export type LinuxKitErrorCode =
  | "SPEC_SYNTAX"
  | "SPEC_INVALID"
  | "SPEC_MERGE"
  | "IMAGE_NOT_FOUND"
  | "IMAGE_PULL"
  | "DOCKER_UNREACHABLE"
  | "FILE_SOURCE"
  | "PATH_ESCAPE"
  | "GCP_ARGS"
  | "FORMAT_UNKNOWN"
  | "TOOL_MISSING"
  | "BUILD"
  | "QEMU"
  | "METAL_API"
  | "USAGE";

export interface LinuxKitErrorDetails {
  /** The input file concerned, when there is one. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
  /** The field concerned, as a path like `onboot[2].binds[0]`. */
  field?: string;
  /** The image reference concerned. */
  image?: string;
  /** What the user should do about it. */
  hint?: string;
  cause?: unknown;
}

export class LinuxKitError extends Error {
  readonly code: LinuxKitErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly image?: string;
  readonly hint?: string;

  constructor(code: LinuxKitErrorCode, message: string, details: LinuxKitErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "LinuxKitError";
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.field = details.field;
    this.image = details.image;
    this.hint = details.hint;
  }

  /** `file:line:col: message` followed by the hint, for terminals and logs. */
  describe(): string {
    const where =
      this.file === undefined
        ? ""
        : `${this.file}${this.line === undefined ? "" : `:${this.line}`}${
            this.column === undefined ? "" : `:${this.column}`
          }: `;
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ""}`;
  }
}

/** Several user errors found in one pass (e.g. every problem in a YAML file). */
export class LinuxKitErrors extends LinuxKitError {
  readonly errors: LinuxKitError[];

  constructor(errors: LinuxKitError[]) {
    const first = errors[0];
    if (first === undefined) throw new Error("LinuxKitErrors needs at least one error");
    super(first.code, errors.length === 1 ? first.message : `${errors.length} problems found`, {
      file: first.file,
      line: first.line,
      column: first.column,
      field: first.field,
      image: first.image,
      hint: first.hint,
    });
    this.errors = errors;
  }

  override describe(): string {
    return this.errors.map((e) => e.describe()).join("\n");
  }
}

export function isLinuxKitError(e: unknown): e is LinuxKitError {
  return e instanceof LinuxKitError;
}
