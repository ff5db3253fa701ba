/**
 * Chip and flow conformance: what every interrupt controller must do when
 * genirq drives it (request_irq unmasks, disable_irq masks, ack/eoi re-arm,
 * set_type programs or is refused, free_irq masks, /proc/interrupts counts),
 * checked through the real path: a line asserted at the controller's input,
 * the CPU's entry code, the flow handler, the driver's handler.
 *
 * The kit picks controller inputs that nothing drives (a free ISA IRQ, a
 * free GPIO), connects its own wire to them and plays a device. A case that
 * cannot apply to a controller is registered as ignored, its name saying
 * which case and why (`... [skipped: chip has no irq_set_type]`).
 *
 * @example
 * ```ts
 * import { chipConformance } from "./testing/mod.ts";
 * await chipConformance({ chip: "XT-PIC", machine: "machines/pc.yaml" });
 * ```
 * @module
 */
import { in_hardirq, irqs_disabled, udelay } from "../linux/api.ts";
import type { Kernel } from "../core/kernel.ts";
import { connect, InputPin, OutputPin } from "../core/line.ts";
import { loadMachine } from "../runner/mod.ts";
import type { PluginRegistry } from "../config/loader.ts";
import {
  GenIrqKey,
  handle_edge_irq,
  handle_fasteoi_irq,
  handle_level_irq,
  handle_simple_irq,
  IRQ_HANDLED,
  irq_set_irq_type,
  IRQ_TYPE_EDGE_RISING,
  IRQ_TYPE_LEVEL_HIGH,
  type IrqChip,
  IRQD_IRQ_MASKED,
  type IrqData,
  type IrqDesc,
} from "../plugins/genirq/mod.ts";

/** The cases of the chip kit, by name (used in `skip`). */
export const CHIP_CASES = [
  "request delivers",
  "ack re-arms",
  "disable masks",
  "enable replays",
  "edge during handler",
  "level masked while handled",
  "set_type",
  "free masks",
  "proc row",
  "flow calls the chip in order",
] as const;

/** A case name of the chip kit. */
export type ChipCase = typeof CHIP_CASES[number];

/** Options of {@linkcode chipConformance}. */
export interface ChipConformanceOptions {
  /** The chip's name as /proc/interrupts shows it (`XT-PIC`, `IO-APIC`, `ARMCTRL-level`). */
  chip: string;
  /** A machine file with the controller. */
  machine: string;
  /** Plugin registry for third-party plugins (default: the built-in ones). */
  registry?: PluginRegistry;
  /** Linux IRQs to test (default: the first free inputs of the chip, at most 2). */
  irqs?: number[];
  /** Cases to skip, with the reason (shown in the test name). */
  skip?: Partial<Record<ChipCase, string>>;
  /** Simulated time to let a delivery happen, ns (default 1 ms). */
  settleNs?: number;
  /**
   * Runs on every freshly loaded machine before the kit looks for free
   * inputs, with the CPUs not yet started. A chip whose IRQs are mapped on
   * request (a GPIO controller: `gpio_to_irq()` creates the mapping) maps
   * the inputs to test here and records them in genirq's `inputIrq` (the
   * input pin -> Linux IRQ map the kit reads), setting the trigger type a
   * device tree would give. Runs outside kernel context: wrap kernel calls
   * in `kernel.enter()`.
   */
  prepare?: (kernel: Kernel) => void;
}

/**
 * True when genirq treats the desc as a level line: IRQD_LEVEL is set (a
 * level trigger type) or its flow handler is handle_level_irq (a controller
 * such as ARMCTRL installs handle_level_irq without ever setting IRQ_LEVEL:
 * drivers/irqchip/irq-bcm2835.c). A level flow masks the line until the
 * handler has run, which is what the level cases test.
 */
export function isLevelLine(desc: IrqDesc): boolean {
  return desc.irq_data.isLevel() || desc.handle_irq === handle_level_irq;
}

/**
 * The chip calls one delivery makes around the handler (`handler` marks
 * it) under `flow`, worked out from kernel/irq/chip.c for `chip`'s ops, or
 * undefined for a flow the kit has no rule for.
 *
 * - handle_level_irq: mask_ack_irq() (irq_mask_ack, else irq_mask then
 *   irq_ack), the handler, cond_unmask_irq() (irq_unmask).
 * - handle_edge_irq: irq_ack, the handler (no mask while nothing is
 *   pending).
 * - handle_fasteoi_irq: the handler, then exactly one irq_eoi.
 * - handle_simple_irq: the handler alone, no chip call.
 */
export function expectedChipCalls(flow: string, chip: IrqChip): string[] | undefined {
  switch (flow) {
    case handle_level_irq.name:
      if (chip.irq_mask_ack) return ["irq_mask_ack", "handler", "irq_unmask"];
      return [
        ...(chip.irq_mask ? ["irq_mask"] : []),
        ...(chip.irq_ack ? ["irq_ack"] : []),
        "handler",
        ...(chip.irq_mask && chip.irq_unmask ? ["irq_unmask"] : []),
      ];
    case handle_edge_irq.name:
      return [...(chip.irq_ack ? ["irq_ack"] : []), "handler"];
    case handle_fasteoi_irq.name:
      return ["handler", ...(chip.irq_eoi ? ["irq_eoi"] : [])];
    case handle_simple_irq.name:
      return ["handler"];
  }
  return undefined;
}

/** The chip operations the kit records (the ones flow handlers call). */
const FLOW_OPS = ["irq_mask", "irq_unmask", "irq_ack", "irq_mask_ack", "irq_eoi"] as const;

/** One handler call as the kit saw it. */
export interface HandlerCall {
  /** CPU that ran the handler. */
  cpu: number;
  /** in_hardirq() in the handler. */
  hardirq: boolean;
  /** irqs_disabled() in the handler. */
  irqsOff: boolean;
  /** Simulated time of the call, ns. */
  at: number;
}

/** A machine with the kit's wire on a free input of the chip. */
export class ChipRig {
  /** Handler calls, in order. */
  readonly calls: HandlerCall[] = [];
  /** Set by a handler that should hold the line (level: the device clears it). */
  clearInHandler = true;
  /** Extra busy time in the handler, µs. */
  handlerUs = 0;
  /** Called in the middle of the handler (after handlerUs/2). */
  midHandler: (() => void) | undefined;

  /** Chip calls for this IRQ and handler entries, once {@linkcode ChipRig.recordChipCalls} ran. */
  readonly log: string[] = [];

  /** A rig on `kernel` for `irq`, whose input `wire` drives. */
  constructor(readonly kernel: Kernel, readonly irq: number, readonly wire: OutputPin) {}

  /**
   * Record the flow-handler chip operations made for this IRQ in
   * {@linkcode ChipRig.log}, by giving its desc a copy of the chip whose
   * operations log and then call the original (other IRQs of the same
   * chip keep the original object).
   */
  recordChipCalls(): void {
    const d = this.desc.irq_data;
    const orig = d.chip;
    const copy: Record<string, unknown> = { ...orig };
    for (const op of FLOW_OPS) {
      const fn = orig[op];
      if (!fn) continue;
      copy[op] = (data: IrqData) => {
        if (data.irq === this.irq) this.log.push(op);
        fn.call(orig, data);
      };
    }
    d.chip = copy as unknown as IrqChip;
  }

  /** The desc under test. */
  get desc(): IrqDesc {
    return this.kernel.bus.get(GenIrqKey).irq_to_desc(this.irq)!;
  }

  /**
   * True when the desc's trigger type is level (IRQD_LEVEL): the kit then
   * holds the line instead of making a fresh edge per request.
   */
  get level(): boolean {
    return this.desc.irq_data.isLevel();
  }

  /** True when genirq handles the desc as a level line (see {@linkcode isLevelLine}). */
  get levelFlow(): boolean {
    return isLevelLine(this.desc);
  }

  /** Run kernel code (request_irq and friends need the ambient kernel). */
  call<R>(fn: () => R): R {
    return this.kernel.enter(fn);
  }

  /** request_irq() with the kit's handler. Returns 0 or a negative errno. */
  request(flags = 0): number {
    const gi = this.kernel.bus.get(GenIrqKey);
    // deno-lint-ignore no-this-alias
    const rig = this;
    function* handler(_irq: number, _dev: unknown) {
      rig.log.push("handler");
      rig.calls.push({
        cpu: rig.kernel.thisCpu().id,
        hardirq: in_hardirq(),
        irqsOff: irqs_disabled(),
        at: rig.kernel.now,
      });
      if (rig.handlerUs > 0) yield udelay(rig.handlerUs / 2);
      rig.midHandler?.();
      if (rig.handlerUs > 0) yield udelay(rig.handlerUs / 2);
      // the device drops its request once every request it made is served
      if (rig.clearInHandler && --rig.outstanding <= 0) {
        rig.outstanding = 0;
        rig.wire.set(false);
      }
      return IRQ_HANDLED;
    }
    return this.call(() => gi.request_threaded_irq(this.irq, handler, null, flags, "conform", rig));
  }

  /** Requests the kit's device made that no handler has served yet. */
  outstanding = 0;

  /**
   * Assert a request as a device does: drive the line high and hold it until
   * a handler serves it (an 8259 loses an edge whose level drops before
   * INTA). On an edge line already high, drop and raise it again: a new
   * rising edge.
   */
  assert(): void {
    this.outstanding++;
    this.call(() => {
      if (this.wire.level && !this.level) this.wire.set(false);
      this.wire.set(true);
    });
  }

  /** Let simulated time pass. */
  run(ns: number): void {
    this.kernel.runUntil(this.kernel.now + ns);
  }

  /** Deliveries counted for this IRQ (kstat_irqs over CPUs). */
  count(): number {
    return this.desc.kstat_irqs.reduce((a, b) => a + b, 0);
  }
}

/** Inputs of the chip that nothing drives, as Linux IRQs (sorted). */
export function freeInputs(k: Kernel, chip: string): { irq: number; pin: InputPin }[] {
  const gi = k.bus.get(GenIrqKey);
  const out: { irq: number; pin: InputPin }[] = [];
  for (const [pin, irq] of gi.inputIrq) {
    if (!(pin instanceof InputPin) || pin.drivers.length > 0) continue;
    const desc = gi.irq_to_desc(irq);
    if (!desc || desc.action || desc.irq_data.chip.name !== chip) continue;
    out.push({ irq, pin });
  }
  return out.sort((a, b) => a.irq - b.irq);
}

/** Load the machine, start its CPUs and wire the kit to `irq`'s free input. */
export async function chipRig(opts: ChipConformanceOptions, irq: number): Promise<ChipRig> {
  const { kernel } = await loadMachine(opts.machine, { registry: opts.registry });
  opts.prepare?.(kernel);
  const input = freeInputs(kernel, opts.chip).find((f) => f.irq === irq);
  if (!input) throw new Error(`Cannot test IRQ ${irq} of ${opts.chip}: its input is not free`);
  const wire = new OutputPin(`conformance.irq${irq}`);
  connect(wire, input.pin);
  for (const c of kernel.cpus) c.start();
  kernel.runUntil(kernel.now + 1_000_000); // let boot-time work (insmod-free) settle
  return new ChipRig(kernel, irq, wire);
}

/** One case of the chip kit for one IRQ, as {@linkcode chipConformanceCases} lists it. */
export interface ChipConformanceCase {
  /** The case. */
  readonly case: ChipCase;
  /** The Linux IRQ it tests (-1 when the chip has no free input). */
  readonly irq: number;
  /** The Deno test name (`<chip> chip conformance: <case> (IRQ n)`, plus the skip reason). */
  readonly label: string;
  /** Why the case does not apply, or undefined when it runs. */
  readonly skip: string | undefined;
  /** Run the case: resolves when it holds, rejects with what failed. */
  readonly run: () => Promise<void>;
}

/**
 * Register the chip conformance cases as Deno tests for `opts.chip` on
 * `opts.machine`. Awaits one probe load of the machine to find free inputs
 * and the chip's capabilities. A case that does not apply is registered as
 * ignored, its name saying which case and why.
 */
export async function chipConformance(opts: ChipConformanceOptions): Promise<void> {
  for (const c of await chipConformanceCases(opts)) {
    if (c.skip) Deno.test({ name: c.label, ignore: true, fn() {} });
    else Deno.test(c.label, c.run);
  }
}

/**
 * The chip conformance cases for `opts.chip` on `opts.machine`, without
 * registering them (to run them by hand, or to check that a broken chip
 * fails them).
 */
export async function chipConformanceCases(
  opts: ChipConformanceOptions,
): Promise<ChipConformanceCase[]> {
  const settle = opts.settleNs ?? 1_000_000;
  const { kernel: probe } = await loadMachine(opts.machine, { registry: opts.registry });
  opts.prepare?.(probe);
  const free = freeInputs(probe, opts.chip).map((f) => f.irq);
  const irqs = opts.irqs ?? free.slice(0, 2);
  const chipOps = irqs.length
    ? probe.bus.get(GenIrqKey).irq_to_desc(irqs[0])!.irq_data.chip
    : undefined;
  const swResend = probe.bus.get(GenIrqKey).swResend !== undefined;
  const prefix = `${opts.chip} chip conformance`;

  const reasons: Partial<Record<ChipCase, string>> = { ...opts.skip };
  if (irqs.length === 0) {
    for (const c of CHIP_CASES) reasons[c] ??= `no free input of ${opts.chip} on ${opts.machine}`;
  }
  const probeDesc = irqs.length > 0 ? probe.bus.get(GenIrqKey).irq_to_desc(irqs[0]) : undefined;
  // Two questions per input: is the trigger level (IRQD_LEVEL: the kit
  // cannot make an edge on it), and does genirq handle it as a level line
  // (IRQD_LEVEL or handle_level_irq: the line stays masked while handled)?
  // The 8259's ISA inputs are edge triggered yet run handle_level_irq, so
  // both the edge and the level cases apply to them.
  const probeLevelTrigger = probeDesc?.irq_data.isLevel() ?? false;
  const probeLevelFlow = probeDesc !== undefined && isLevelLine(probeDesc);
  const probeFlow = probeDesc?.handle_irq.name ?? "";
  if (chipOps && !chipOps.irq_set_type) {
    if (!probeLevelFlow) {
      reasons["level masked while handled"] ??=
        `the free inputs are edge lines (${probeFlow}) and ${opts.chip} has no irq_set_type`;
    }
    if (probeLevelTrigger) {
      reasons["edge during handler"] ??=
        `the free inputs are level triggered (IRQD_LEVEL) and ${opts.chip} has no irq_set_type`;
    }
  } else if (chipOps?.irq_set_type && probeDesc) {
    // Ask the chip for the other trigger on the probe machine: an edge-only
    // chip (irq_sim) refuses a level type with -EINVAL, and the reverse.
    const c: ChipCase | undefined = !probeLevelFlow
      ? "level masked while handled"
      : probeLevelTrigger
      ? "edge during handler"
      : undefined;
    if (c) {
      const want = c === "edge during handler" ? "IRQ_TYPE_EDGE_RISING" : "IRQ_TYPE_LEVEL_HIGH";
      const ret = probe.enter(() =>
        irq_set_irq_type(
          probeDesc.irq,
          c === "edge during handler" ? IRQ_TYPE_EDGE_RISING : IRQ_TYPE_LEVEL_HIGH,
        )
      );
      if (ret < 0) {
        reasons[c] ??= `${opts.chip}'s irq_set_type refuses ${want} (${ret}): its lines are ${
          c === "edge during handler" ? "level" : "edge"
        } only`;
      }
    }
  }
  if (probeDesc && !expectedChipCalls(probeFlow, chipOps!)) {
    reasons["flow calls the chip in order"] ??=
      `no rule in the kit for the flow handler ${probeFlow}`;
  }
  if (chipOps && !chipOps.irq_retrigger && !swResend) {
    reasons["enable replays"] ??=
      "chip has no irq_retrigger and no software resend is loaded: a masked edge is lost (check_irq_resend)";
  }

  const rig = (irq: number) => chipRig(opts, irq);

  function cases(irq: number): [ChipCase, () => Promise<void>][] {
    return [
      ["request delivers", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        r.assert();
        r.run(settle);
        eq(r.calls.length, 1, "handler calls after one assertion");
        ok(r.calls[0].hardirq, "the handler runs in hardirq context");
        ok(r.calls[0].irqsOff, "the handler runs with interrupts disabled");
        eq(r.count(), 1, "kstat_irqs");
      }],
      ["ack re-arms", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        for (let i = 0; i < 3; i++) {
          r.assert();
          r.run(settle);
        }
        eq(r.calls.length, 3, "three assertions, three handler calls (ack/eoi re-arms the input)");
      }],
      ["disable masks", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        r.call(() => r.kernel.bus.get(GenIrqKey).disable_irq_nosync(irq));
        r.assert();
        r.run(settle);
        eq(r.calls.length, 0, "no handler call while disabled");
      }],
      ["enable replays", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        const gi = r.kernel.bus.get(GenIrqKey);
        r.call(() => gi.disable_irq_nosync(irq));
        r.assert();
        r.run(settle);
        r.call(() => gi.enable_irq(irq));
        r.run(settle);
        eq(r.calls.length, 1, "the request made while disabled is delivered once after enable_irq");
      }],
      ["edge during handler", async () => {
        const r = await rig(irq);
        if (r.level) {
          eq(
            r.call(() => irq_set_irq_type(irq, IRQ_TYPE_EDGE_RISING)),
            0,
            "set edge",
          );
        }
        eq(r.request(), 0, "request_irq");
        if (r.level) throw new Error("line stays level triggered: cannot test an edge");
        r.handlerUs = 40;
        let once = false;
        r.midHandler = () => {
          if (!once) r.assert();
          once = true;
        };
        r.assert();
        r.run(settle);
        eq(
          r.calls.length,
          2,
          "an edge while the handler runs is not lost (IRQS_PENDING or the chip latches it)",
        );
        ok(r.calls[1].at > r.calls[0].at, "the second call follows the first");
      }],
      ["level masked while handled", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        if (!r.levelFlow) {
          eq(
            r.call(() => irq_set_irq_type(irq, IRQ_TYPE_LEVEL_HIGH)),
            0,
            "set level",
          );
        }
        ok(r.levelFlow, "genirq handles the line as a level line (IRQD_LEVEL or handle_level_irq)");
        r.handlerUs = 40;
        let masked = false;
        r.midHandler = () => {
          masked = (r.desc.irq_data.state & IRQD_IRQ_MASKED) !== 0 ||
            r.kernel.cpus.every((c) => c.irqsDisabled);
        };
        r.clearInHandler = true;
        r.assert();
        r.run(settle);
        eq(
          r.calls.length,
          1,
          "one call per assertion: the device cleared its level in the handler",
        );
        ok(masked, "the level line cannot re-enter while its handler runs");
      }],
      ["set_type", async () => {
        const r = await rig(irq);
        const d = r.desc.irq_data;
        const before = d.triggerType();
        const ret = r.call(() => irq_set_irq_type(irq, IRQ_TYPE_EDGE_RISING));
        if (d.chip.irq_set_type) {
          ok(ret === 0 || ret < 0, "0 or a negative errno");
          if (ret === 0) eq(d.triggerType(), IRQ_TYPE_EDGE_RISING, "trigger type recorded");
          else eq(d.triggerType(), before, "a refused type changes nothing");
        } else {
          // __irq_set_trigger(): "No set_type function for IRQ %d (%s)", returns 0
          eq(ret, 0, "without irq_set_type the request is accepted and ignored");
          eq(d.triggerType(), before, "nothing recorded");
        }
      }],
      ["free masks", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        r.call(() => r.kernel.bus.get(GenIrqKey).free_irq(irq, r));
        const n = r.count();
        r.assert();
        r.run(settle);
        eq(r.calls.length, 0, "no handler after free_irq");
        eq(r.count(), n, "the masked line is not delivered at all");
      }],
      ["proc row", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        r.assert();
        r.run(settle);
        r.assert();
        r.run(settle);
        const row = (r.kernel.procfs.read("/proc/interrupts") ?? "").split("\n")
          .find((l) => l.trimStart().startsWith(`${irq}:`));
        ok(row !== undefined, `a /proc/interrupts row for IRQ ${irq}`);
        ok(row!.includes(opts.chip), `the row names the chip: ${row}`);
        ok(row!.trimEnd().endsWith("conform"), `the row ends with the action name: ${row}`);
        const counts = row!.slice(row!.indexOf(":") + 1).trim().split(/\s+/).slice(
          0,
          r.kernel.cpus.length,
        ).map(Number);
        eq(counts.reduce((a, b) => a + b, 0), 2, `two deliveries counted: ${row}`);
        eq(counts[r.calls[0].cpu] > 0, true, "counted on the CPU that took it");
      }],
      ["flow calls the chip in order", async () => {
        const r = await rig(irq);
        eq(r.request(), 0, "request_irq");
        r.recordChipCalls();
        const flow = r.desc.handle_irq.name;
        const want = expectedChipCalls(flow, r.desc.irq_data.chip)!;
        r.log.length = 0;
        r.assert();
        r.run(settle);
        eq(r.calls.length, 1, "one handler call");
        eq(r.log.join(" "), want.join(" "), `chip calls around the handler under ${flow}`);
      }],
    ];
  }

  const out: ChipConformanceCase[] = [];
  const list = irqs.length ? irqs : [-1];
  for (const irq of list) {
    for (const [name, fn] of cases(irq)) {
      const reason = reasons[name];
      const label = `${prefix}: ${name}${irq >= 0 ? ` (IRQ ${irq})` : ""}`;
      out.push({
        case: name,
        irq,
        label: reason ? `${label} [skipped: ${reason}]` : label,
        skip: reason,
        run: fn,
      });
    }
  }
  return out;
}

function eq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

function ok(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}
