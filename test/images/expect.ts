/**
 * Console expectations for e2e fixtures (test/fixtures/e2e/*.expect.json)
 * and a checker. A CLI for trying a captured log by hand:
 *
 *   node dist/test/images/expect.js test/fixtures/e2e/nginx-like.expect.json console.log
 */
import { readFileSync } from "node:fs";

export interface ConsoleExpectations {
  /** The YAML this file belongs to, relative to the expectation file. */
  readonly fixture: string;
  /** Kernel arguments to append to the YAML's cmdline for a test boot. */
  readonly append: string;
  readonly qemu: { readonly memoryMiB: number; readonly network: "user"; readonly nic: string };
  readonly timeoutSeconds: number;
  /** Regexes (unanchored, per line) that must match lines in this order. */
  readonly ordered: readonly string[];
  /** Regexes that must each match some line (asynchronous service output). */
  readonly unordered: readonly string[];
  /** Regexes no line may match. */
  readonly forbidden: readonly string[];
  /** An HTTP check for a boot that stays up (no linuxkit.test.poweroff=1). */
  readonly http?: {
    readonly guestPort: number;
    readonly path: string;
    /** Wait until each of these patterns matched a console line before the GET. */
    readonly after: readonly string[];
    readonly bodyContains: string;
  };
}

export function loadExpectations(file: string): ConsoleExpectations {
  return JSON.parse(readFileSync(file, "utf8")) as ConsoleExpectations;
}

/** Console text as lines: CR removed, split on LF. */
export function consoleLines(text: string): string[] {
  return text.replace(/\r/g, "").split("\n");
}

/**
 * What is wrong with `text` (empty when it satisfies `expect`). Each
 * problem names the pattern and, for order problems, the line after which
 * it was looked for.
 */
export function checkConsole(expect: ConsoleExpectations, text: string): string[] {
  const lines = consoleLines(text);
  const problems: string[] = [];
  let from = 0;
  for (const pattern of expect.ordered) {
    const re = new RegExp(pattern);
    const at = lines.findIndex((line, i) => i >= from && re.test(line));
    if (at < 0) {
      const anywhere = lines.findIndex((line) => re.test(line));
      problems.push(
        anywhere >= 0
          ? `out of order: /${pattern}/ matched line ${anywhere + 1}, before line ${from} where the previous pattern matched`
          : `missing: /${pattern}/${nearest(lines, pattern)}`,
      );
      continue;
    }
    from = at + 1;
  }
  for (const pattern of expect.unordered) {
    const re = new RegExp(pattern);
    if (!lines.some((line) => re.test(line)))
      problems.push(`missing: /${pattern}/${nearest(lines, pattern)}`);
  }
  for (const pattern of expect.forbidden) {
    const re = new RegExp(pattern);
    lines.forEach((line, i) => {
      if (re.test(line)) problems.push(`forbidden /${pattern}/ matched line ${i + 1}: ${line}`);
    });
  }
  return problems;
}

/** A hint: the console line sharing the longest literal prefix with `pattern`. */
function nearest(lines: readonly string[], pattern: string): string {
  const literal = pattern.replace(/\\(.)/g, "$1");
  let best = "";
  let bestLength = "LINUXKIT-TEST: ".length;
  for (const line of lines) {
    const start = line.indexOf("LINUXKIT-TEST: ");
    if (start < 0) continue;
    const l = line.slice(start);
    let n = 0;
    while (n < l.length && n < literal.length && l[n] === literal[n]) n++;
    if (n > bestLength) {
      bestLength = n;
      best = l;
    }
  }
  return best ? ` (closest: ${best})` : "";
}

if (require.main === module) {
  const [expectFile, logFile] = process.argv.slice(2);
  if (!expectFile || !logFile) {
    console.error("usage: expect <file.expect.json> <console.log>");
    process.exitCode = 2;
  } else {
    const problems = checkConsole(loadExpectations(expectFile), readFileSync(logFile, "utf8"));
    for (const p of problems) console.log(p);
    console.log(problems.length ? `${problems.length} problem(s)` : "console matches");
    process.exitCode = problems.length ? 1 : 0;
  }
}
