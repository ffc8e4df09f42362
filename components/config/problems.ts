/**
 * Collects the problems found in one input so all of them are reported
 * together, each with file, position, field and hint.
 */
import { LinuxKitError, LinuxKitErrors, type LinuxKitErrorCode } from "../errors/errors";
import type { FieldOrigin } from "./locations";
import { decoratePath, plainPath } from "./paths";
import type { Position } from "./tree";

export interface Problem {
  code?: LinuxKitErrorCode;
  /** Field path, plain (`onboot[2].binds[0]`); names are added for display. */
  field: string;
  message: string;
  hint: string;
  /** Overrides the recorded position of `field`. */
  pos?: Position;
  /** Overrides the file (for problems spanning files). */
  file?: string;
  image?: string;
}

export class Problems {
  readonly errors: LinuxKitError[] = [];

  /**
   * @param file the input the problems are in (default for each problem)
   * @param origins where each field was written, for positions
   * @param nameOf the name of a list entry (`services[1]` → `sshd`), for display
   */
  constructor(
    private readonly file: string,
    private readonly origins: ReadonlyMap<string, FieldOrigin> = new Map(),
    private readonly nameOf: (entry: string) => string | undefined = () => undefined,
  ) {}

  /** Records a problem; the message is prefixed with the (decorated) field path. */
  add(problem: Problem): void {
    const field = decoratePath(plainPath(problem.field), this.nameOf);
    const origin = this.nearestOrigin(plainPath(problem.field));
    const pos = problem.pos ?? origin?.value ?? origin?.key;
    const message = field === "" ? problem.message : `${field}: ${problem.message}`;
    this.errors.push(
      new LinuxKitError(problem.code ?? "SPEC_INVALID", message, {
        file: problem.file ?? origin?.file ?? this.file,
        line: pos?.line,
        column: pos?.column,
        field: field === "" ? undefined : field,
        image: problem.image,
        hint: problem.hint,
      }),
    );
  }

  /** The origin of `path`, or of its closest recorded ancestor (for fields left out). */
  private nearestOrigin(path: string): FieldOrigin | undefined {
    for (let p = path; ;) {
      const origin = this.origins.get(p);
      if (origin !== undefined || p === "") return origin;
      const parent = p.replace(/(?:\.[^.[\]]+|\[[^\]]*\])$/, "");
      p = parent === p ? "" : parent;
    }
  }

  /** The input that wrote `field`, when recorded. */
  fileOf(field: string): string | undefined {
    return this.origins.get(plainPath(field))?.file;
  }

  /** Where the value of `field` starts (its key when the value has no position). */
  valuePos(field: string): Position | undefined {
    const origin = this.origins.get(plainPath(field));
    return origin?.value ?? origin?.key;
  }

  /** Where `field` was written: its key when it has one, else its value. */
  keyPos(field: string): Position | undefined {
    const origin = this.origins.get(plainPath(field));
    return origin?.key ?? origin?.value;
  }
}

/**
 * Throws every error at once as a {@link LinuxKitErrors}, ordered by file
 * (in the order files first appear), line and column; input order is kept
 * for ties. Does nothing for none.
 */
export function throwIfAny(errors: readonly LinuxKitError[]): void {
  if (errors.length === 0) return;
  const fileOrder = new Map<string, number>();
  for (const e of errors)
    if (!fileOrder.has(e.file ?? "")) fileOrder.set(e.file ?? "", fileOrder.size);
  const rank = (e: LinuxKitError): number => fileOrder.get(e.file ?? "") ?? 0;
  const sorted = errors
    .map((error, index) => ({ error, index }))
    .sort(
      (a, b) =>
        rank(a.error) - rank(b.error) ||
        (a.error.line ?? 0) - (b.error.line ?? 0) ||
        (a.error.column ?? 0) - (b.error.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ error }) => error);
  throw new LinuxKitErrors(sorted);
}
