/**
 * YAML documents that remember where every value came from, and validation of
 * their contents against zod schemas with located errors (STYLE rule 6: a
 * config fault names file:line:col, the key path, what was expected and a fix
 * hint, never a stack trace).
 *
 * ```ts
 * import { z } from "zod";
 * import { parseYamlSource } from "./source.ts";
 *
 * const source = parseYamlSource("cpus:\n  count: four\n", "pc.yaml");
 * const schema = z.object({ cpus: z.object({ count: z.int().min(1) }).strict() }).strict();
 * source.validate(schema, source.value, []);
 * // throws ConfigError:
 * // pc.yaml:2:10: error at cpus.count: wrong type: got string "four"
 * //   expected: an integer of at least 1
 * //   hint: write a number in digits, without quotes
 * ```
 *
 * ## Message conventions
 *
 * Every zod issue becomes one {@linkcode ConfigError}; when there are several,
 * they are thrown together as {@linkcode ConfigErrors}, sorted by position.
 * The value seen is quoted (strings in double quotes, numbers bare):
 *
 * | zod issue | message | located at |
 * |---|---|---|
 * | unrecognized key | `unknown key "foo"` | the key |
 * | wrong type | `wrong type: got string "abc"` / `got a list` / `got null` | the value |
 * | enum / literal | `invalid value "xyz"` | the value |
 * | missing key | `missing key "kind"` | the key of the parent map |
 * | number range | `value 300 is out of range` | the value |
 * | regex | `invalid value "Kb"` (`invalid key "Kb"` for a map key) | the value / key |
 * | custom | the refinement's own message | the value, or the key |
 *
 * `expected:` is derived from the schema itself (through its JSON Schema), so it
 * reads the same as what editors show: `an integer from 1 to 256`, `a map`,
 * `one of: none, voluntary, full`.
 *
 * Custom refinements say everything themselves: the issue's `message` is the
 * message (include the value seen), and its `params` may carry `expected`,
 * `hint`, and `at: "key"` to point at the key rather than the value. Use
 * {@linkcode configIssue} to build them:
 *
 * ```ts
 * import { z } from "zod";
 * import { configIssue } from "./source.ts";
 *
 * const wire = z.string().check((ctx) => {
 *   if (!ctx.value.includes("->")) {
 *     ctx.issues.push(configIssue(ctx.value, `invalid wire "${ctx.value}"`, {
 *       expected: "<device>.<pin> -> <device>.<pin>",
 *       hint: 'separate the two ends with "->"',
 *     }));
 *   }
 * });
 * ```
 *
 * @module
 */
import process from "node:process";
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import type { Document, YAMLError } from "yaml";
import { z } from "zod";
import {
  ConfigError,
  type ConfigErrorInfo,
  ConfigErrors,
  type SourceLocation,
} from "../core/errors.ts";

/** One step of a key path: a map key or a list index. */
export type PathSegment = string | number;

/** What the custom-issue convention reads from a zod issue's `params`. */
export interface ConfigIssueParams {
  /** What was expected there (the `expected:` line). */
  expected?: string;
  /** How to fix it (the `hint:` line). */
  hint?: string;
  /** Point at the key of the offending entry instead of its value. */
  at?: "key" | "value";
}

/** Options of {@linkcode parseYamlSource}. */
export interface YamlSourceOptions {
  /**
   * The published JSON Schema of this kind of file, named in the hint of an
   * unknown key, e.g. `schema/machine.schema.json`.
   */
  schemaRef?: string;
}

/** A parsed YAML document that can say where each of its values is. */
export interface YamlSource {
  /** The file name used in messages. */
  readonly file: string;
  /** The document as plain data (maps are plain objects). */
  readonly value: unknown;
  /**
   * Where the node at `path` is. For a missing key: the key of the nearest
   * existing parent map (the document start for the top level). With
   * `at: "key"`: the key of the entry itself (for an unknown key).
   *
   * @example
   * ```ts
   * const source = parseYamlSource("cpus:\n  count: 2\n", "pc.yaml");
   * source.locate(["cpus", "count"]); // { file: "pc.yaml", line: 2, col: 10 }
   * ```
   */
  locate(path: readonly PathSegment[], at?: "key" | "value"): SourceLocation;
  /**
   * Check `value`, found at `basePath` in this document, against `schema`.
   * Returns the parsed output (defaults applied); throws a located
   * {@linkcode ConfigError} for one fault, {@linkcode ConfigErrors} for several.
   *
   * @example
   * ```ts
   * // a loader checking a device's options against the device kind's schema
   * const options = source.validate(i8259Options, spec.devices.pic.options ?? {}, [
   *   "devices", "pic", "options",
   * ]);
   * ```
   * @ignore (its schema is a zod type, not part of this package's API)
   */
  validate<T>(
    schema: z.ZodType<T>,
    value: unknown,
    basePath?: readonly PathSegment[],
    options?: YamlSourceOptions,
  ): T;
}

/**
 * Render a key path the way messages show it: `devices.keyboard.kind`,
 * `wires[2]`, `plugins[0].options.x`; keys that are not plain words are quoted
 * (`devices["my pic"]`).
 *
 * @example
 * ```ts
 * formatPath(["plugins", 0, "options", "x"]); // "plugins[0].options.x"
 * ```
 */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const seg of path) {
    if (typeof seg === "number") text += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) text += text === "" ? seg : `.${seg}`;
    else text += `[${JSON.stringify(seg)}]`;
  }
  return text;
}

/**
 * A zod custom issue following the convention above; push it from a
 * `.check()` (`ctx.issues.push(...)`), giving `path` relative to the checked
 * value when the fault is deeper.
 */
export function configIssue(
  input: unknown,
  message: string,
  params: ConfigIssueParams & { path?: PathSegment[] } = {},
): z.core.$ZodRawIssue {
  const { path, ...rest } = params;
  return { code: "custom", input, message, params: rest, ...(path ? { path } : {}) };
}

/**
 * Parse YAML text, keeping positions. Syntax errors (and the warnings that
 * leave the document meaningless: unknown tags, ambiguous aliases) become
 * located {@linkcode ConfigError}s with the message
 * `YAML syntax error: <reason>`; duplicate keys and several documents in one
 * file are errors too.
 *
 * @example
 * ```ts
 * const source = parseYamlSource("name: pc\n", "pc.yaml");
 * source.value; // { name: "pc" }
 * ```
 */
export function parseYamlSource(
  text: string,
  file: string,
  options: YamlSourceOptions = {},
): YamlSource {
  const lines = new LineCounter();
  const doc = withoutHostEnv(() =>
    parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  );
  const at = (offset: number): SourceLocation => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const faults = [...doc.errors, ...doc.warnings.filter((w) => FATAL_WARNINGS.has(w.code))];
  if (faults.length > 0) {
    // One message per position: yaml often reports one fault twice over
    // (BLOCK_AS_IMPLICIT_KEY + MULTILINE_IMPLICIT_KEY for one bad indent).
    const byPosition = new Map<number, YAMLError>();
    for (const e of faults) {
      const offset = skipIndent(text, e.pos[0]);
      if (!byPosition.has(offset)) byPosition.set(offset, e);
    }
    throwAll([...byPosition].map(([offset, e]) => yamlError(e, at(offset))));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // toJS throws for an alias to a missing anchor and for alias bombs.
    const reason = e instanceof Error ? e.message : String(e);
    throw new ConfigError({
      location: at(firstBadAlias(doc) ?? 0),
      message: `YAML syntax error: ${reason}`,
      hint: "define the &anchor before its *alias, and do not nest aliases deeply",
    });
  }
  return new Source(file, value, doc, at, options);
}

// ---------------------------------------------------------------------------
// YAML parsing

/**
 * Run the YAML parser with an empty `process.env`. yaml 2.x's Node build reads
 * `process.env.LOG_TOKENS` for every token (dist/parse/parser.js, `Parser.next`)
 * and `LOG_STREAM` per document (dist/compose/composer.js). Under Deno that is
 * an env permission check, which would make loading a machine file need
 * `--allow-env`, and it lets the host environment change what the parser does
 * (STYLE rule 7). The parse is synchronous, so nothing else sees the swap.
 */
function withoutHostEnv<T>(parse: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(process, "env");
  if (!saved?.configurable) return parse();
  Object.defineProperty(process, "env", {
    value: Object.freeze({}),
    configurable: true,
    enumerable: saved.enumerable,
    writable: false,
  });
  try {
    return parse();
  } finally {
    Object.defineProperty(process, "env", saved);
  }
}

/** yaml warnings after which the data no longer says what the author meant. */
const FATAL_WARNINGS = new Set([
  "TAG_RESOLVE_FAILED",
  "BAD_COLLECTION_TYPE",
  "BAD_ALIAS",
  "BAD_INDENT",
]);

/**
 * yaml places indentation faults at the start of the line; the reader looks
 * for the text, so step over leading spaces (not past the end of the line).
 */
function skipIndent(text: string, offset: number): number {
  let i = offset;
  while (text[i] === " " || text[i] === "\t") i++;
  return i < text.length && text[i] !== "\n" && text[i] !== "\r" ? i : offset;
}

function yamlError(e: YAMLError, location: SourceLocation): ConfigError {
  return new ConfigError({
    location,
    message: `YAML syntax error: ${e.message}`,
    hint: yamlHint(e),
  });
}

function yamlHint(e: YAMLError): string {
  switch (e.code) {
    case "BAD_INDENT":
      if (e.message.includes("end with a }")) return "close the { ... } map opened above with }";
      if (e.message.includes("end with a ]")) return "close the [ ... ] list opened above with ]";
      return "indent with spaces; all keys of one map start in the same column";
    case "TAB_AS_INDENT":
      return "indent with spaces, not tabs";
    case "DUPLICATE_KEY":
      return "a key may appear once per map: remove or merge the repeated one";
    case "MULTIPLE_DOCS":
      return "keep one document per file: remove the --- separator";
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY":
      return "a line below is indented deeper than this key: start all keys of one map in the same column";
    case "MISSING_CHAR":
      return "close the quote or bracket opened before this position";
    case "TAG_RESOLVE_FAILED":
    case "BAD_COLLECTION_TYPE":
      return "remove the !tag: these files use plain YAML";
    case "BAD_ALIAS":
      return "put a space between the alias and the colon";
    default:
      return "check the YAML syntax here: indentation, colons, quotes and brackets";
  }
}

function firstBadAlias(doc: Document): number | undefined {
  let found: number | undefined;
  const walk = (node: unknown): void => {
    if (found !== undefined || !isNode(node)) return;
    if (isAlias(node)) {
      if (!node.resolve(doc)) found = node.range?.[0];
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          walk(item.key);
          walk(item.value);
        } else walk(item);
      }
    }
  };
  walk(doc.contents);
  return found;
}

function throwAll(errors: ConfigError[]): never {
  if (errors.length === 1) throw errors[0];
  throw new ConfigErrors(errors);
}

// ---------------------------------------------------------------------------
// The source: positions and validation

class Source implements YamlSource {
  constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly doc: Document,
    private readonly at: (offset: number) => SourceLocation,
    private readonly options: YamlSourceOptions,
  ) {}

  locate(path: readonly PathSegment[], at: "key" | "value" = "value"): SourceLocation {
    let node: unknown = this.doc.contents;
    // Position of the key that introduced `node` (undefined at the top level).
    let keyOffset: number | undefined;
    for (let i = 0; i < path.length; i++) {
      node = this.deref(node);
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) return this.at(keyOffset ?? startOf(node));
        const keyStart = isNode(pair.key) ? pair.key.range?.[0] : undefined;
        if (last && at === "key" && keyStart !== undefined) return this.at(keyStart);
        keyOffset = keyStart ?? keyOffset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        keyOffset = undefined;
        node = node.items[seg];
      } else {
        return this.at(keyOffset ?? startOf(node));
      }
    }
    node = this.deref(node);
    // An empty value (`kernel:`) has no text of its own: point at its key.
    if (!isNode(node) || (isScalar(node) && node.value === null && node.source === "")) {
      return this.at(keyOffset ?? 0);
    }
    return this.at(startOf(node));
  }

  validate<T>(
    schema: z.ZodType<T>,
    value: unknown,
    basePath: readonly PathSegment[] = [],
    options: YamlSourceOptions = this.options,
  ): T {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    const ctx: IssueContext = {
      source: this,
      root: value,
      json: jsonSchemaFor(schema),
      basePath,
      schemaRef: options.schemaRef,
    };
    const explained = result.error.issues.flatMap((issue) => explain(ctx, issue, []));
    // `acton: type` yields both "unknown key acton (did you mean action?)" and
    // "missing key action": the first says it all, so drop the second.
    const suggested = new Set(explained.map((f) => f.suggests).filter(Boolean));
    const found: ConfigErrorInfo[] = explained
      .filter((f) => !(f.missing && suggested.has(f.missing)))
      .map(({ missing: _m, suggests: _s, ...info }) => info);
    // Document order reads best; the sort is stable for equal positions.
    found.sort((a, b) => a.location!.line - b.location!.line || a.location!.col - b.location!.col);
    const seen = new Set<string>();
    const errors = found.map((info) => new ConfigError(info)).filter((e) => {
      if (seen.has(e.message)) return false;
      seen.add(e.message);
      return true;
    });
    throwAll(errors);
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" || typeof key === "number" ? String(key) : undefined;
}

function startOf(node: unknown): number {
  return isNode(node) ? ((node as Node).range?.[0] ?? 0) : 0;
}

// ---------------------------------------------------------------------------
// From zod issues to located messages

interface IssueContext {
  source: Source;
  /** The value that was validated. */
  root: unknown;
  /** JSON Schema of the validated schema (undefined if zod cannot express it). */
  json: Json | undefined;
  basePath: readonly PathSegment[];
  schemaRef?: string;
}

type Json = { [key: string]: unknown };

/** A message, tagged for the missing-key / did-you-mean merge in validate(). */
interface Found extends ConfigErrorInfo {
  /** Path of the key this message says is missing. */
  missing?: string;
  /** Path of the key this unknown key is probably a misspelling of. */
  suggests?: string;
}
type Issue = z.core.$ZodIssue;

/**
 * Explain one issue. `prefix` is the path of the union or record key the
 * issue was nested in, relative to the validated value.
 */
function explain(
  ctx: IssueContext,
  issue: Issue,
  prefix: readonly PathSegment[],
  keyMode = false,
): Found[] {
  const rel = [...prefix, ...(issue.path as PathSegment[])];
  const value = keyMode ? rel[rel.length - 1] : valueAt(ctx.root, rel);
  const node = keyMode ? keySchemaAt(ctx, rel) : schemaAt(ctx, rel);
  const info = (
    message: string,
    expected: string | undefined,
    hint: string | undefined,
    at: "key" | "value" = keyMode ? "key" : "value",
    path = rel,
  ): Found => {
    const full = [...ctx.basePath, ...path];
    return {
      location: ctx.source.locate(full, at),
      path: formatPath(full),
      message,
      ...(expected ? { expected } : {}),
      ...(hint ? { hint } : {}),
    };
  };
  const missing = (expected: string | undefined): Found => {
    const key = String(rel[rel.length - 1]);
    const parent = formatPath([...ctx.basePath, ...rel.slice(0, -1)]);
    return {
      ...info(
        `missing key ${JSON.stringify(key)}`,
        expected,
        parent ? `add "${key}:" under ${parent}` : `add "${key}:" at the top level`,
      ),
      missing: formatPath([...ctx.basePath, ...rel]),
    };
  };
  const isMissing = !keyMode && value === undefined && rel.length > 0;

  switch (issue.code) {
    case "invalid_type": {
      const expected = describeSchema(node) ?? describeType(issue.expected);
      if (isMissing) return [missing(expected)];
      return [
        info(
          `wrong type: got ${describeValue(value)}`,
          expected,
          typeHint(value, issue, node, [...ctx.basePath, ...rel]),
        ),
      ];
    }
    case "invalid_value": {
      const expected = `one of: ${issue.values.map(String).join(", ")}`;
      if (isMissing) return [missing(expected)];
      return [
        info(
          `invalid value ${quote(value)}`,
          expected,
          // Near misses are for words: 200 is not a typo of 250.
          (typeof value === "string" ? suggest(value, issue.values.map(String)) : undefined) ??
            "use one of the listed values",
        ),
      ];
    }
    case "unrecognized_keys": {
      const allowed = objectKeys(ctx.json && pick(ctx.json, node, value));
      const present = isPlainMap(value) ? Object.keys(value) : [];
      const unused = allowed.filter((k) => !present.includes(k));
      const spelling = ctx.schemaRef
        ? `check the spelling; the schema is in ${ctx.schemaRef}`
        : "check the spelling";
      return issue.keys.map((key) => {
        const near = nearest(key, unused);
        return {
          ...info(
            `unknown key ${JSON.stringify(key)}`,
            allowed.length ? `one of: ${allowed.join(", ")}` : "no keys here (an empty map)",
            near === undefined ? spelling : `did you mean ${JSON.stringify(near)}?`,
            "key",
            [...rel, key],
          ),
          ...(near === undefined ? {} : { suggests: formatPath([...ctx.basePath, ...rel, near]) }),
        };
      });
    }
    case "too_big":
    case "too_small": {
      const small = issue.code === "too_small";
      const bound = Number(
        small
          ? (issue as z.core.$ZodIssueTooSmall).minimum
          : (issue as z.core.$ZodIssueTooBig).maximum,
      );
      const inclusive = issue.inclusive ?? true;
      if (issue.origin === "string" || issue.origin === "array" || issue.origin === "set") {
        const count = small
          ? (inclusive ? "at least" : "more than")
          : (inclusive ? "at most" : "fewer than");
        const isText = issue.origin === "string";
        const unit = (isText ? " character" : " item") + (bound === 1 ? "" : "s");
        const size = isText ? String(value).length : Array.isArray(value) ? value.length : 0;
        return [
          info(
            isText
              ? `value ${quote(value)} is too ${small ? "short" : "long"}`
              : `the list has ${size} item${size === 1 ? "" : "s"}, too ${small ? "few" : "many"}`,
            describeSchema(node),
            isText ? `make it ${count} ${bound}${unit} long` : `give ${count} ${bound}${unit}`,
          ),
        ];
      }
      const relation = small
        ? (inclusive ? "of at least" : "greater than")
        : (inclusive ? "of at most" : "less than");
      return [
        info(
          `value ${quote(value)} is out of range`,
          describeSchema(node) ?? `a value ${relation} ${bound}`,
          `use a value ${relation} ${bound}`,
        ),
      ];
    }
    case "not_multiple_of":
      return [
        info(
          `value ${quote(value)} is not a multiple of ${issue.divisor}`,
          `a multiple of ${issue.divisor}`,
          `round to a multiple of ${issue.divisor}`,
        ),
      ];
    case "invalid_format": {
      const what = keyMode ? "key" : "value";
      if (issue.format === "regex" && issue.pattern) {
        const pattern = issue.pattern.replace(/^\/(.*)\/[a-z]*$/, "$1");
        return [
          info(
            `invalid ${what} ${quote(value)}`,
            `a ${keyMode ? "name" : "string"} matching ${pattern}`,
            keyMode
              ? "rename the key to match the pattern"
              : "change the value to match the pattern",
          ),
        ];
      }
      return [
        info(
          `invalid ${what} ${quote(value)}`,
          `a valid ${issue.format}`,
          `write a valid ${issue.format}`,
        ),
      ];
    }
    case "invalid_key":
      return issue.issues.flatMap((inner) => explain(ctx, inner, rel, true));
    case "invalid_element":
      return issue.issues.flatMap((inner) => explain(ctx, inner, rel));
    case "invalid_union":
      return explainUnion(ctx, issue, rel, node, value, isMissing, missing, info);
    case "custom": {
      const params = (issue.params ?? {}) as ConfigIssueParams;
      const message = issue.message && issue.message !== "Invalid input"
        ? issue.message
        : `invalid ${keyMode ? "key" : "value"} ${quote(value)}`;
      return [
        info(message, params.expected, params.hint, params.at ?? (keyMode ? "key" : "value")),
      ];
    }
    default: {
      const other = issue as Issue;
      return [info(`${other.message} (value ${quote(value)})`, describeSchema(node), undefined)];
    }
  }
}

/**
 * A union none of whose options accepted the value. zod already reports the
 * inner issues directly when exactly one option got past the type check;
 * here either every option rejected the value's type (say what types would
 * do) or several got in (explain the option that came closest).
 */
function explainUnion(
  ctx: IssueContext,
  issue: z.core.$ZodIssueInvalidUnion,
  rel: PathSegment[],
  node: Json | undefined,
  value: unknown,
  isMissing: boolean,
  missing: (expected: string | undefined) => Found,
  info: (message: string, expected: string | undefined, hint: string | undefined) => Found,
): Found[] {
  const rejectsType = (branch: Issue[]) =>
    branch.some((i) =>
      i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value")
    );
  const entered = issue.errors.filter((branch) => !rejectsType(branch));
  if (entered.length > 0 && !isMissing) {
    const closest = entered.reduce((best, b) => (b.length < best.length ? b : best));
    return closest.flatMap((inner) => explain(ctx, inner, rel));
  }
  const values = issue.errors.flat().flatMap((i) =>
    i.path.length === 0 && i.code === "invalid_value" ? i.values.map(String) : []
  );
  const unique = [...new Set(values)];
  const typeOk = issue.errors.flat().every((i) => i.code !== "invalid_type");
  const expected = describeSchema(node) ??
    (unique.length ? `one of: ${unique.join(", ")}` : undefined);
  if (isMissing) return [missing(expected)];
  if (unique.length > 0 && typeOk) {
    return [
      info(
        `invalid value ${quote(value)}`,
        expected,
        (typeof value === "string" ? suggest(value, unique) : undefined) ??
          "use one of the listed values",
      ),
    ];
  }
  return [
    info(
      `wrong type: got ${describeValue(value)}`,
      expected,
      typeHint(value, undefined, node, [...ctx.basePath, ...rel]),
    ),
  ];
}

// ---------------------------------------------------------------------------
// Describing values and schemas

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

function quote(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "(a list)";
  if (v !== null && typeof v === "object") return "(a map)";
  return String(v);
}

function describeType(expected: string): string {
  switch (expected) {
    case "number":
      return "a number";
    case "int":
      return "an integer";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "object":
    case "record":
    case "map":
      return "a map";
    case "array":
    case "tuple":
    case "set":
      return "a list";
    default:
      return expected;
  }
}

function typeHint(
  value: unknown,
  issue: z.core.$ZodIssueInvalidType | undefined,
  node: Json | undefined,
  path: readonly PathSegment[],
): string {
  const want = issue?.expected;
  if (path.length === 0 && value == null) return "the document is empty: write its keys";
  if (value === null || value === undefined) return "give the key a value, or remove it";
  if (want === "int" && typeof value === "number") return "use a whole number";
  if ((want === "number" || want === "int") && typeof value === "string") {
    return value.trim() !== "" && !Number.isNaN(Number(value))
      ? `remove the quotes: ${value.trim()}`
      : "write a number in digits, without quotes";
  }
  if (want === "boolean") return "write true or false (yes/no and on/off are strings in YAML 1.2)";
  if (want === "string") return `put the value in quotes: "${quote(value).replace(/^"|"$/g, "")}"`;
  if (want === "object" || want === "record") {
    return Array.isArray(value)
      ? 'write "key: value" lines instead of "- " items'
      : 'write "key: value" lines, indented under the key';
  }
  if (want === "array") return 'write one "- item" per line, or [a, b]';
  if (typeof node?.description === "string") {
    // Descriptions are sentences ("A plugin: a name, ..."): make them an instruction.
    const text = node.description.replace(/\.$/, "");
    return `write ${text[0].toLowerCase()}${text.slice(1)}`;
  }
  return "change the value to the expected kind";
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** A phrase for what a JSON Schema node accepts: `an integer from 1 to 256`. */
function describeSchema(node: Json | undefined): string | undefined {
  if (!node) return undefined;
  const options = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (options) {
    if (options.every((o) => Array.isArray(o.enum) || "const" in o)) {
      const all = options.flatMap((o) => (Array.isArray(o.enum) ? o.enum : [o.const]));
      return `one of: ${[...new Set(all.map(String))].join(", ")}`;
    }
    const parts = options.map(describeSchema).filter((p): p is string => p !== undefined);
    return parts.length ? [...new Set(parts)].join(" or ") : undefined;
  }
  if (Array.isArray(node.enum)) return `one of: ${node.enum.map(String).join(", ")}`;
  if ("const" in node) return `exactly ${quote(node.const)}`;
  switch (node.type) {
    case "string":
      // A pattern is not repeated here: the regex issue names it, and some
      // patterns (a wire's) read worse than the key's own description.
      return typeof node.minLength === "number" && node.minLength > 0
        ? "a non-empty string"
        : "a string";
    case "integer":
    case "number":
      return describeNumber(node);
    case "boolean":
      return "true or false";
    case "object":
      return "a map";
    case "array":
      return typeof node.minItems === "number" && node.minItems > 0 ? "a non-empty list" : "a list";
    case "null":
      return "null";
    default:
      return undefined;
  }
}

function describeNumber(node: Json): string {
  const noun = node.type === "integer" ? "integer" : "number";
  const bound = (key: string) => {
    const v = node[key];
    return typeof v === "number" && Math.abs(v) < SAFE ? v : undefined;
  };
  const min = bound("minimum");
  const max = bound("maximum");
  const xmin = bound("exclusiveMinimum");
  const xmax = bound("exclusiveMaximum");
  const article = noun === "integer" ? "an" : "a";
  if (min !== undefined && max !== undefined) return `${article} ${noun} from ${min} to ${max}`;
  const parts: string[] = [];
  if (min === 0 && max === undefined && xmax === undefined) return `a non-negative ${noun}`;
  if (xmin === 0 && max === undefined && xmax === undefined) return `a positive ${noun}`;
  if (min !== undefined) parts.push(`of at least ${min}`);
  if (xmin !== undefined) parts.push(`greater than ${xmin}`);
  if (max !== undefined) parts.push(`of at most ${max}`);
  if (xmax !== undefined) parts.push(`less than ${xmax}`);
  return parts.length ? `${article} ${noun} ${parts.join(" and ")}` : `${article} ${noun}`;
}

// ---------------------------------------------------------------------------
// Walking the JSON Schema along a key path

const jsonCache = new WeakMap<object, Json | undefined>();

/**
 * The JSON Schema of `schema` as the file's author writes it (`io: "input"`:
 * defaults make keys optional, transforms show their input side), without
 * zod's ±2^53 bounds on plain integers. tools/schema.ts publishes the same.
 */
export function toJsonSchema(
  schema: z.ZodType,
  options: { target?: "draft-07" | "draft-2020-12" } = {},
): Json {
  const json = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    target: options.target ?? "draft-2020-12",
  }) as Json;
  return stripSafeBounds(json) as Json;
}

function stripSafeBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSafeBounds);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === "minimum" || k === "maximum") && typeof v === "number" && Math.abs(v) >= SAFE) {
      continue;
    }
    out[k] = stripSafeBounds(v);
  }
  return out;
}

function jsonSchemaFor(schema: z.ZodType): Json | undefined {
  if (!jsonCache.has(schema)) {
    let json: Json | undefined;
    try {
      json = toJsonSchema(schema);
    } catch {
      json = undefined; // messages fall back to what the issue itself says
    }
    jsonCache.set(schema, json);
  }
  return jsonCache.get(schema);
}

function deref(root: Json, node: Json | undefined): Json | undefined {
  let n = node;
  for (let hops = 0; n && typeof n.$ref === "string" && hops < 16; hops++) {
    const ref = n.$ref as string;
    if (ref === "#") return root;
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    n = m ? ((root[m[1]] as Json | undefined)?.[m[2]] as Json | undefined) : undefined;
  }
  return n;
}

/** Among a union's options, the one the value was meant for. */
function pick(
  root: Json,
  node: Json | undefined,
  value: unknown,
  next?: PathSegment,
): Json | undefined {
  const n = deref(root, node);
  const options = (n?.anyOf ?? n?.oneOf) as Json[] | undefined;
  if (!options) return n;
  const kind = jsonType(value);
  const fitting = options.map((o) => deref(root, o)!).filter((o) =>
    o && (o.type === kind || (o.type === "integer" && kind === "number"))
  );
  if (fitting.length === 0) return n;
  if (kind === "object" && isPlainMap(value)) {
    const keys = Object.keys(value);
    const covers = (o: Json) => {
      const props = (o.properties ?? {}) as Json;
      return keys.every((k) => k in props) && (next === undefined || String(next) in props);
    };
    const required = (o: Json) => ((o.required ?? []) as string[]).every((k) => keys.includes(k));
    return fitting.find(covers) ?? fitting.find(required) ?? fitting[0];
  }
  return fitting[0];
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "string" || typeof value === "boolean" || typeof value === "number"
    ? typeof value
    : "object";
}

function schemaAt(ctx: IssueContext, path: readonly PathSegment[]): Json | undefined {
  const root = ctx.json;
  if (!root) return undefined;
  let node: Json | undefined = root;
  let value = ctx.root;
  for (const seg of path) {
    node = pick(root, node, value, seg);
    if (!node) return undefined;
    if (typeof seg === "number") {
      node = (Array.isArray(node.prefixItems) ? node.prefixItems[seg] : node.items) as
        | Json
        | undefined;
    } else {
      const props = node.properties as Json | undefined;
      node = (props && seg in props ? props[seg] : node.additionalProperties) as Json | undefined;
      if (typeof node !== "object") return undefined;
    }
    value = valueAt(value, [seg]);
  }
  return deref(root, node);
}

/** The schema of the keys of the map holding the last key of `path`. */
function keySchemaAt(ctx: IssueContext, path: readonly PathSegment[]): Json | undefined {
  const parent = schemaAt(ctx, path.slice(0, -1));
  return parent ? (parent.propertyNames as Json | undefined) : undefined;
}

function objectKeys(node: Json | undefined): string[] {
  return node?.properties ? Object.keys(node.properties) : [];
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PathSegment, unknown>)[seg];
  }
  return v;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Near misses

/**
 * `did you mean "x"?` for the closest candidate at most two edits away
 * (insert, delete, substitute or swap two neighbours), and fewer edits than
 * the candidate has letters, so that `ab` is not "corrected" to `hz`.
 */
function suggest(word: string, candidates: readonly string[]): string | undefined {
  const near = nearest(word, candidates);
  return near === undefined ? undefined : `did you mean ${JSON.stringify(near)}?`;
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance && d < c.length) {
      best = c;
      bestDistance = d;
    }
  }
  return best === word ? undefined : best;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits). */
function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
