/**
 * The scenario file: which kernel modules to load, what happens to the
 * hardware and when (stimuli, addressed by role so that one scenario runs on
 * any machine that binds the roles), how long to run, and what to expect
 * (DESIGN.md, "Machine files and scenarios").
 *
 * ```yaml
 * # yaml-language-server: $schema=../schema/scenario.schema.json
 * name: keyboard_observer
 * modules: [drivers/keyboard_observer.ts]
 * duration_ms: 1000
 * stimuli:
 *   - { at_ms: 100, role: keyboard, action: type, args: { text: "hello" } }
 * expect:
 *   dmesg: ["Character h Pressed"]
 * ```
 *
 * @module
 */
import { z } from "zod";
import { NAME_PATTERN } from "./machine.ts";
import { configIssue, parseYamlSource, type YamlSource } from "./source.ts";

/** Where the published JSON Schema of scenario files lives (named in hints). */
export const SCENARIO_SCHEMA_REF = "schema/scenario.schema.json";

const paramScalar = z.union([z.string(), z.number(), z.boolean()]);

const moduleSchema = z.union([
  z.string().min(1).describe("A driver module, relative to this scenario file."),
  z.object({
    path: z.string().min(1).describe("The driver module, relative to this scenario file."),
    params: z.record(z.string(), z.union([paramScalar, z.array(paramScalar)])).optional()
      .describe("Values of the module's module_param()s (a list for module_param_array)."),
  }).strict().describe("A driver module with parameters."),
]).describe("A kernel module: a path, or { path, params }.");

const writeSchema = z.object({
  path: z.string().min(1).describe(
    "An absolute /proc or /sys path, e.g. /sys/devices/virtual/workqueue/my_wq/cpumask or " +
      "/proc/irq/1/smp_affinity.",
  ),
  data: z.union([z.string(), z.number()]).describe(
    "What is written (as `echo DATA > PATH` writes it, without the newline); a number is " +
      "written in decimal.",
  ),
}).strict().describe("Write a procfs or sysfs file, as root from a shell.");

const stimulusSchema = z.object({
  at_ms: z.number().min(0).describe("When, in ms of simulated time from boot."),
  role: z.string().regex(NAME_PATTERN).optional().describe(
    "The device, by the role the machine file binds (keyboard, button, nic, timer, serial...).",
  ),
  action: z.string().min(1).optional().describe(
    "What the device does, e.g. type, press, burst.",
  ),
  args: z.record(z.string(), z.unknown()).optional().describe("Arguments of the action."),
  write: writeSchema.optional().describe(
    "Instead of a device action: write a /proc or /sys file at at_ms (`echo DATA | sudo tee " +
      "PATH` in the shell transcript; a refused write shows tee's error there).",
  ),
}).strict().check((ctx) => {
  const { role, action, args, write } = ctx.value;
  if (write !== undefined) {
    if (role !== undefined || action !== undefined || args !== undefined) {
      ctx.issues.push(configIssue(ctx.value, "a write stimulus takes no role, action or args", {
        expected: "{ at_ms, write: { path, data } } or { at_ms, role, action, args }",
        hint: "split it into two stimuli",
      }));
    }
    if (!/^\/(proc|sys)\//.test(write.path)) {
      ctx.issues.push(configIssue(write.path, `cannot write "${write.path}"`, {
        expected: "an absolute path under /proc/ or /sys/",
        hint: "e.g. /sys/devices/virtual/workqueue/<name>/cpumask",
        path: ["write", "path"],
      }));
    }
    return;
  }
  if (role === undefined || action === undefined) {
    ctx.issues.push(configIssue(ctx.value, "a stimulus needs a role and an action, or a write", {
      expected: "{ at_ms, role, action, args } or { at_ms, write: { path, data } }",
      hint: role === undefined ? "add role: <role>" : "add action: <action>",
    }));
  }
});

const programSchema = z.object({
  path: z.string().min(1).describe(
    "A user program, relative to this scenario file: a module whose default export is a " +
      "generator function main(argv) written with user.ts.",
  ),
  at_ms: z.number().min(0).default(0).describe(
    "Run it from the shell no earlier than this (after the modules are loaded).",
  ),
  traced: z.boolean().default(false).describe(
    "Run it under gdb (ptrace): a signal stops it (state t) and gdb continues it.",
  ),
  root: z.boolean().default(false).describe(
    "Run it with sudo: it has CAP_SYS_RAWIO, so ioperm() can open ports.",
  ),
  core_dump: z.boolean().default(true).describe(
    "A core is written when a coredump signal (SIGFPE, SIGSEGV, SIGTRAP...) kills it, so the " +
      'shell adds "(core dumped)". True is the common default: systemd-coredump or apport ' +
      "in core_pattern takes the core whatever ulimit -c says; false models ulimit -c 0 with " +
      "a plain file core_pattern.",
  ),
  aslr: z.boolean().default(true).describe(
    "randomize_va_space: load and stack addresses drawn from the seeded PRNG (gdb turns it off).",
  ),
  continue_after_ms: z.number().min(0).default(100).describe(
    "Under gdb: how long the program stays stopped before the person types continue.",
  ),
  repeat: z.int().min(1).max(1000).default(1).describe("How many times to run it in a row."),
}).strict().describe("A user program the shell runs.");

const interruptExpectation = z.object({
  irq: z.int().min(0).describe("The Linux IRQ number."),
  total: z.int().min(0).optional().describe("Interrupts counted over all CPUs."),
  actions: z.string().optional().describe(
    'The action list as /proc/interrupts shows it, e.g. "i8042, my_keyboard_handler".',
  ),
}).strict().check((ctx) => {
  const { irq, total, actions } = ctx.value;
  if (total === undefined && actions === undefined) {
    ctx.issues.push(configIssue(ctx.value, `nothing expected of IRQ ${irq}`, {
      expected: "total, actions, or both",
      hint: 'add total: <count> or actions: "<handler names>"',
    }));
  }
});

const softirqExpectation = z.object({
  name: z.string().min(1).describe(
    'The row of /proc/softirqs: HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU or a vector a module added (e.g. "MY").',
  ),
  total: z.int().min(0).optional().describe("Executions counted over all CPUs, exactly."),
  min: z.int().min(0).optional().describe("At least this many executions over all CPUs."),
}).strict().check((ctx) => {
  const { name, total, min } = ctx.value;
  if (total === undefined && min === undefined) {
    ctx.issues.push(configIssue(ctx.value, `nothing expected of softirq ${name}`, {
      expected: "total, min, or both",
      hint: "add total: <count> or min: <count>",
    }));
  }
});

const viewExpectation = z.object({
  view: z.string().min(1).describe(
    'A view as `deno task run cat` names it: "ps -eLo pid,cls,rtprio,ni,psr,comm", "ps -ef", ' +
      '"/proc/stat", "/proc/softirqs", "/sys/devices/virtual/workqueue/cpumask"...',
  ),
  lines: z.array(z.string()).min(1).describe(
    "Text that must appear in the view, in this order (each matches part of one line).",
  ),
}).strict().describe(
  "A view read at the end of the run, before rmmod (the modules' tasks still exist).",
);

const expectSchema = z.object({
  exit_code: z.int().optional().describe("Exit code of the run."),
  dmesg: z.array(z.string()).optional().describe(
    "Text that must appear in the kernel log, in this order (each matches part of one line " +
      'as dmesg prints it, timestamp included: "[    0.101008] my_handler" pins the time).',
  ),
  dmesg_absent: z.array(z.string()).optional().describe(
    "Text that must not appear in any line of the kernel log (timestamp included, as in dmesg).",
  ),
  shell: z.array(z.string()).optional().describe(
    "Text that must appear in the shell transcript (programs' output, bash's reports, $?), " +
      "in this order (each matches part of one line).",
  ),
  interrupts: z.array(interruptExpectation).optional().describe(
    "Per-IRQ counts and action lists, as in /proc/interrupts at the end.",
  ),
  softirqs: z.array(softirqExpectation).optional().describe(
    "Per-vector execution counts, as in /proc/softirqs at the end (needs the softirq plugin).",
  ),
  views: z.array(viewExpectation).optional().describe(
    "Lines of views (ps task lists, /proc and /sys files) at the end, before rmmod.",
  ),
}).strict();

/** The scenario file's schema (zod); tools/schema.ts publishes it as JSON Schema. */
export const scenarioSchema = z.object({
  name: z.string().min(1).describe("Name of the scenario."),
  description: z.string().optional().describe("What this scenario shows, for people."),
  arch: z.array(z.enum(["x86", "arm", "arm64"])).min(1).optional().describe(
    "Architectures the modules need (e.g. [x86] for inb/outb on ISA ports); default: any.",
  ),
  roles: z.array(z.string().regex(NAME_PATTERN)).optional().describe(
    "Roles the modules use besides those of the stimuli (the machine must bind them).",
  ),
  plugins: z.array(z.string().min(1)).optional().describe(
    "Plugins the modules' API needs (e.g. [workqueue]); the machine must load them.",
  ),
  machines: z.array(z.string().min(1)).min(1).optional().describe(
    "Machines (by name) the scenario is written for, when its expectations pin what only " +
      "they give (times, counts, IRQ layout); default: every machine with its arch and roles.",
  ),
  min_cpus: z.int().min(1).optional().describe(
    "The fewest CPUs the modules need (e.g. 3 for queue_work_on(2, ...)); default: any.",
  ),
  modules: z.array(moduleSchema).default([]).describe(
    "Kernel modules to load (insmod) at boot, in order.",
  ),
  duration_ms: z.number().positive().describe("How long to run, in ms of simulated time."),
  unload: z.boolean().default(true).describe("Unload the modules (rmmod) at the end."),
  stimuli: z.array(stimulusSchema).default([]).describe("What happens to the hardware, when."),
  programs: z.array(programSchema).default([]).describe(
    "User programs a shell runs in order once the modules are loaded (see user.ts).",
  ),
  expect: expectSchema.optional().describe("What the run must show; a miss fails the run."),
}).strict().check((ctx) => {
  // A stimulus after the end would silently never happen.
  const { duration_ms, stimuli, programs } = ctx.value;
  programs.forEach((p, i) => {
    if (p.at_ms > duration_ms) {
      ctx.issues.push(configIssue(p.at_ms, `program at ${p.at_ms} ms comes after the end`, {
        expected: `at_ms from 0 to duration_ms (${duration_ms})`,
        hint: "raise duration_ms or run the program earlier",
        path: ["programs", i, "at_ms"],
      }));
    }
  });
  stimuli.forEach((s, i) => {
    if (s.at_ms > duration_ms) {
      ctx.issues.push(configIssue(s.at_ms, `stimulus at ${s.at_ms} ms comes after the end`, {
        expected: `at_ms from 0 to duration_ms (${duration_ms})`,
        hint: "raise duration_ms or move the stimulus earlier",
        path: ["stimuli", i, "at_ms"],
      }));
    }
  });
}).meta({
  title: "irqlab scenario",
  description: "Kernel modules, stimuli, duration and expectations of one simulation run.",
});

/**
 * A scenario file after validation, with defaults applied. Its shape is
 * schema/scenario.schema.json; the type is zod's output type of the schema,
 * hidden from the generated docs because zod's types are not part of this
 * package's API.
 * @ignore
 */
export type ScenarioSpec = z.output<typeof scenarioSchema>;
/** One entry of `modules`. */
export type ModuleRef = z.output<typeof moduleSchema>;
/** One entry of `programs`. */
export type ProgramSpec = z.output<typeof programSchema>;
/** One entry of `stimuli`. */
export type StimulusSpec = z.output<typeof stimulusSchema>;
/** The `expect` section. */
export type ExpectSpec = z.output<typeof expectSchema>;

/**
 * Parse and check a scenario file. Throws a located ConfigError (or
 * ConfigErrors) for a syntax error or any schema fault.
 *
 * @example
 * ```ts
 * const { spec } = loadScenarioSpec(await Deno.readTextFile(path), path);
 * spec.unload; // true unless the file says otherwise
 * ```
 */
export function loadScenarioSpec(
  text: string,
  file: string,
): { spec: ScenarioSpec; source: YamlSource } {
  const source = parseYamlSource(text, file, { schemaRef: SCENARIO_SCHEMA_REF });
  const spec = source.validate(scenarioSchema, source.value, []);
  return { spec, source };
}
