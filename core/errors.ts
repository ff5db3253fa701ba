/**
 * The three tiers of errors (STYLE rule 6):
 *
 * 1. Configuration and wiring faults stop the load: {@linkcode ConfigError},
 *    located at file:line:col with the key path, what was expected and a hint.
 * 2. Guest misbehaviour (a driver enabling an IRQ too often, a reserved bit
 *    written) is answered as the kernel or hardware would: a printk / WARN,
 *    never an exception out of the simulator.
 * 3. Not implemented: {@linkcode notImplemented} reports a feature once.
 *
 * @module
 */

/** A position in a source file (1-based line and column). */
export interface SourceLocation {
  /** File path as given. */
  file: string;
  /** Line, 1-based. */
  line: number;
  /** Column, 1-based. */
  col: number;
}

/** Details of a configuration fault. */
export interface ConfigErrorInfo {
  /** Where in the file; omitted when the fault has no single place (a `requires` cycle). */
  location?: SourceLocation;
  /** Key path in the document, e.g. `devices.keyboard.kind` or `wires[2]`. */
  path?: string;
  /** What was wrong, with the value seen. */
  message: string;
  /** What was expected there. */
  expected?: string;
  /** How to fix it. */
  hint?: string;
}

/**
 * A bad machine file, scenario, plugin set or wiring. Its `message` is the full
 * located text; the CLI prints it and exits with code 2.
 */
export class ConfigError extends Error {
  /** Error name. */
  override name = "ConfigError";
  /** Where and what, for the located message. */
  readonly info: ConfigErrorInfo;

  /** Create a ConfigError. */
  constructor(info: ConfigErrorInfo) {
    super(formatConfigError(info));
    this.info = info;
  }
}

/** Render a config fault the way the CLI prints it. */
export function formatConfigError(info: ConfigErrorInfo): string {
  const loc = info.location
    ? `${info.location.file}:${info.location.line}:${info.location.col}: `
    : "";
  const at = info.path ? ` at ${info.path}` : "";
  let text = `${loc}error${at}: ${info.message}`;
  if (info.expected) text += `\n  expected: ${info.expected}`;
  if (info.hint) text += `\n  hint: ${info.hint}`;
  return text;
}

/** Several config faults found in one pass; the message lists each. */
export class ConfigErrors extends ConfigError {
  /** Error name. */
  override name = "ConfigErrors";
  /** Create a ConfigErrors. */
  constructor(readonly errors: ConfigError[]) {
    super(errors[0].info);
    this.message = errors.map((e) => e.message).join("\n");
  }
}

/** Raised when a sleeping call happens in atomic context and the run must stop (exit 1). */
export class KernelBug extends Error {
  /** Error name. */
  override name = "KernelBug";
}

/**
 * Report a feature that is not modelled: once per feature per `reported`
 * set (one set per machine, so two runs in one process print the same), on
 * the given sink (the machine's printk at KERN_WARNING by convention).
 */
export function notImplemented(
  feature: string,
  reported: Set<string>,
  sink: (text: string) => void,
): void {
  if (reported.has(feature)) return;
  reported.add(feature);
  sink(`irqlab: not implemented: ${feature}`);
}
