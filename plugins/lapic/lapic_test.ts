/**
 * Local APIC register-level tests through MMIO at 0xFEE00000, each access
 * made "on" a CPU so it reaches that CPU's LAPIC. Expected values come from
 * the Intel SDM vol. 3A ch. 10 rules quoted beside each check.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { connect, InputPin, OutputPin } from "../../core/line.ts";
import { testKernel } from "../../tests/helpers.ts";
import {
  APIC_DEFAULT_PHYS_BASE,
  APIC_DEST_ALLBUT,
  APIC_DEST_ALLINC,
  APIC_DEST_SELF,
  APIC_DM_EXTINT,
  APIC_DM_LOWEST,
  APIC_DM_NMI,
  APIC_EOI,
  APIC_ESR,
  APIC_ESR_RECVILL,
  APIC_ICR,
  APIC_ICR2,
  APIC_ID,
  APIC_INT_LEVELTRIG,
  APIC_IRR,
  APIC_ISR,
  APIC_LVR,
  APIC_LVT0,
  APIC_LVT_MASKED,
  APIC_LVT_TIMER_PERIODIC,
  APIC_LVTT,
  APIC_PROCPRI,
  APIC_SPIV,
  APIC_TASKPRI,
  APIC_TDCR,
  APIC_TDR_DIV_1,
  APIC_TDR_DIV_16,
  APIC_TMCCT,
  APIC_TMICT,
  APIC_TMR,
  tdcrDivide,
} from "./apic.ts";
import { ApicSystem, onCpu } from "./system.ts";

/** A kernel with `n` CPUs, their LAPICs mapped, each LAPIC's INTR/NMI on a probe pin. */
function rig(n = 4) {
  const k = testKernel(n);
  const sys = new ApicSystem(k, 10); // 100 MHz bus: 10 ns per count before division
  k.mmio.map(APIC_DEFAULT_PHYS_BASE, 0x1000, {
    read: (off) => sys.current().read(off),
    write: (off, v) => sys.current().write(off, v),
  }, "Local APIC");
  const intr = sys.lapics.map((l) => {
    const p = new InputPin(`probe${l.cpu}.intr`);
    connect(l.int, p);
    return p;
  });
  const nmis = sys.lapics.map(() => 0);
  sys.lapics.forEach((l, i) => {
    const p = new InputPin(`probe${i}.nmi`, (lv) => lv && nmis[i]++);
    connect(l.nmi, p);
  });
  const eois: number[] = [];
  sys.eoiListeners.push((v) => eois.push(v));
  const rd = (cpu: number, reg: number) =>
    onCpu(k, cpu, () => k.mmio.read(APIC_DEFAULT_PHYS_BASE + reg, 4) >>> 0);
  const wr = (cpu: number, reg: number, v: number) =>
    onCpu(k, cpu, () => k.mmio.write(APIC_DEFAULT_PHYS_BASE + reg, v >>> 0, 4));
  // software-enable every LAPIC, spurious vector 0xff, TPR 0
  for (let c = 0; c < n; c++) wr(c, APIC_SPIV, 0x1ff);
  return { k, sys, intr, nmis, eois, rd, wr };
}

/** Bit `v` of a 256-bit register read through its eight 32-bit registers. */
function bit(rd: (reg: number) => number, base: number, v: number): boolean {
  return (rd(base + ((v >> 5) << 4)) & (1 << (v & 31))) !== 0;
}

Deno.test("LAPIC ID and version read through the same address give each CPU its own LAPIC", () => {
  const { rd } = rig(4);
  // APIC_ID bits 24-31 hold the APIC ID; the model numbers them as the CPUs
  for (let c = 0; c < 4; c++) assert.equal(rd(c, APIC_ID), (c << 24) >>> 0);
  // LVR: version 0x14 (integrated xAPIC), max LVT entry 5 in bits 16-23
  assert.equal(rd(1, APIC_LVR), 0x00050014);
});

Deno.test("LAPIC accepts a fixed vector into IRR, INTA moves it to ISR, EOI retires it", () => {
  const { sys, intr, rd, wr, eois } = rig(2);
  sys.lapics[1].accept(0x41, false);
  assert.equal(bit((r) => rd(1, r), APIC_IRR, 0x41), true);
  assert.equal(intr[1].level, true, "class 4 > PPR class 0: INTR asserted");
  assert.equal(intr[0].level, false);
  assert.equal(sys.lapics[1].inta(), 0x41);
  assert.equal(bit((r) => rd(1, r), APIC_IRR, 0x41), false);
  assert.equal(bit((r) => rd(1, r), APIC_ISR, 0x41), true);
  // PPR = ISRV & 0xf0 when the ISR class is above the TPR class
  assert.equal(rd(1, APIC_PROCPRI), 0x40);
  assert.equal(intr[1].level, false);
  wr(1, APIC_EOI, 0);
  assert.equal(bit((r) => rd(1, r), APIC_ISR, 0x41), false);
  assert.deepEqual(eois, [], "an edge vector (TMR clear) is not broadcast");
});

Deno.test("LAPIC EOI of a level vector (TMR set) broadcasts the EOI to the IOAPICs", () => {
  const { sys, rd, wr, eois } = rig(1);
  sys.lapics[0].accept(0x59, true);
  assert.equal(bit((r) => rd(0, r), APIC_TMR, 0x59), true);
  assert.equal(sys.lapics[0].inta(), 0x59);
  wr(0, APIC_EOI, 0);
  assert.deepEqual(eois, [0x59]);
});

Deno.test("LAPIC TPR masks by priority class: only a class above TPR >> 4 is delivered", () => {
  const { sys, intr, rd, wr } = rig(1);
  wr(0, APIC_TASKPRI, 0x40);
  // PPR = TPR when TPR's class is at least the ISR class (ISR empty)
  assert.equal(rd(0, APIC_PROCPRI), 0x40);
  sys.lapics[0].accept(0x4f, false); // class 4, not above 4
  assert.equal(intr[0].level, false);
  sys.lapics[0].accept(0x50, false); // class 5
  assert.equal(intr[0].level, true);
  assert.equal(sys.lapics[0].inta(), 0x50);
  wr(0, APIC_EOI, 0);
  // 0x4f stays pending in IRR until TPR drops below its class
  assert.equal(intr[0].level, false);
  wr(0, APIC_TASKPRI, 0x30);
  assert.equal(intr[0].level, true);
  assert.equal(sys.lapics[0].inta(), 0x4f);
});

Deno.test("LAPIC dispatches the highest vector first and holds lower classes while it is in service", () => {
  const { sys, intr, wr } = rig(1);
  sys.lapics[0].accept(0x31, false);
  sys.lapics[0].accept(0x61, false);
  assert.equal(sys.lapics[0].inta(), 0x61);
  // 0x31 (class 3) is not above PPR (class 6): no INTR until the EOI
  assert.equal(intr[0].level, false);
  wr(0, APIC_EOI, 0);
  assert.equal(intr[0].level, true);
  assert.equal(sys.lapics[0].inta(), 0x31);
});

Deno.test("LAPIC answers INTA with the spurious vector when TPR rose after the request", () => {
  const { sys, rd, wr } = rig(1);
  sys.lapics[0].accept(0x45, false);
  wr(0, APIC_TASKPRI, 0x80); // raised between INTR and INTA (SDM 10.9)
  assert.equal(sys.lapics[0].inta(), 0xff, "SVR bits 0-7");
  assert.equal(bit((r) => rd(0, r), APIC_ISR, 0xff), false, "a spurious vector sets no ISR bit");
  assert.equal(bit((r) => rd(0, r), APIC_IRR, 0x45), true, "the request stays pending");
});

Deno.test("LAPIC software-disabled (SVR bit 8 clear) keeps requests pending and INTR low", () => {
  const { sys, intr, wr } = rig(1);
  wr(0, APIC_SPIV, 0xff);
  sys.lapics[0].accept(0x45, false);
  assert.equal(intr[0].level, false);
  wr(0, APIC_SPIV, 0x1ff);
  assert.equal(intr[0].level, true);
});

Deno.test("LAPIC rejects vectors 0-15 with ESR 'receive illegal vector' latched by an ESR write", () => {
  const { sys, rd, wr, intr } = rig(1);
  sys.lapics[0].accept(0x0e, false);
  assert.equal(intr[0].level, false);
  assert.equal(rd(0, APIC_ESR), 0, "errors show only after the next ESR write");
  wr(0, APIC_ESR, 0);
  assert.equal(rd(0, APIC_ESR), APIC_ESR_RECVILL);
});

Deno.test("ICR shorthands self, all-including-self and all-but-self reach the right LAPICs", () => {
  const { sys, rd, wr } = rig(4);
  const irrOf = (v: number) => [0, 1, 2, 3].filter((c) => bit((r) => rd(c, r), APIC_IRR, v));
  wr(1, APIC_ICR, APIC_DEST_SELF | 0x61);
  assert.deepEqual(irrOf(0x61), [1]);
  wr(1, APIC_ICR, APIC_DEST_ALLINC | 0x62);
  assert.deepEqual(irrOf(0x62), [0, 1, 2, 3]);
  wr(1, APIC_ICR, APIC_DEST_ALLBUT | 0x63);
  assert.deepEqual(irrOf(0x63), [0, 2, 3]);
  // no shorthand: physical destination in ICR2 bits 24-31
  wr(1, APIC_ICR2, 2 << 24);
  wr(1, APIC_ICR, 0x64);
  assert.deepEqual(irrOf(0x64), [2]);
  // delivery status (bit 12) reads idle: the model delivers at once
  assert.equal(rd(1, APIC_ICR) & 0x1000, 0);
  assert.equal(sys.undelivered, 0);
});

Deno.test("ICR NMI delivery raises the target's NMI line, not its IRR", () => {
  const { nmis, rd, wr, intr } = rig(4);
  wr(0, APIC_ICR2, 3 << 24);
  wr(0, APIC_ICR, APIC_DM_NMI | 0x02);
  assert.deepEqual(nmis, [0, 0, 0, 1]);
  assert.equal(bit((r) => rd(3, r), APIC_IRR, 0x02), false);
  assert.equal(intr[3].level, false);
});

Deno.test("lowest-priority delivery picks the lowest TPR, ties to the lowest APIC ID", () => {
  const { wr, rd } = rig(4);
  const irrOf = (v: number) => [0, 1, 2, 3].filter((c) => bit((r) => rd(c, r), APIC_IRR, v));
  wr(0, APIC_TASKPRI, 0x20);
  wr(1, APIC_TASKPRI, 0x20);
  wr(2, APIC_TASKPRI, 0x10);
  wr(3, APIC_TASKPRI, 0x10);
  wr(0, APIC_ICR, APIC_DEST_ALLINC | APIC_DM_LOWEST | 0x71);
  assert.deepEqual(irrOf(0x71), [2], "CPUs 2 and 3 tie at class 1: the lower ID wins");
  wr(2, APIC_TASKPRI, 0x30);
  wr(0, APIC_ICR, APIC_DEST_ALLINC | APIC_DM_LOWEST | 0x72);
  assert.deepEqual(irrOf(0x72), [3]);
});

Deno.test("LAPIC timer periodic with divide 16 fires every initial count x 16 bus clocks", () => {
  const { k, sys, rd, wr } = rig(1);
  wr(0, APIC_LVTT, APIC_LVT_TIMER_PERIODIC | 0xec);
  wr(0, APIC_TDCR, APIC_TDR_DIV_16);
  wr(0, APIC_TMICT, 1000); // 1000 counts x 16 x 10 ns = 160 us
  k.runUntil(80_000);
  // halfway: 500 counts elapsed of 1000
  assert.equal(rd(0, APIC_TMCCT), 500);
  k.runUntil(1_000_000);
  // expiries at 160, 320, 480, 640, 800, 960 us
  assert.equal(sys.lapics[0].timerFired, 6);
  assert.equal(bit((r) => rd(0, r), APIC_IRR, 0xec), true);
});

Deno.test("LAPIC timer one-shot fires once and its current count stays at 0", () => {
  const { k, sys, rd, wr } = rig(1);
  wr(0, APIC_LVTT, 0xec); // one-shot (bits 17-18 = 00)
  wr(0, APIC_TDCR, APIC_TDR_DIV_1);
  wr(0, APIC_TMICT, 100); // 100 x 10 ns = 1 us
  k.runUntil(999);
  assert.equal(sys.lapics[0].timerFired, 0);
  k.runUntil(1_000_000);
  assert.equal(sys.lapics[0].timerFired, 1);
  assert.equal(rd(0, APIC_TMCCT), 0);
});

Deno.test("LAPIC timer masked (LVT bit 16) counts but requests nothing", () => {
  const { k, sys, rd, wr } = rig(1);
  wr(0, APIC_LVTT, (1 << 16) | APIC_LVT_TIMER_PERIODIC | 0xec);
  wr(0, APIC_TDCR, APIC_TDR_DIV_1);
  wr(0, APIC_TMICT, 100);
  k.runUntil(10_000);
  assert.equal(sys.lapics[0].timerFired, 10);
  assert.equal(bit((r) => rd(0, r), APIC_IRR, 0xec), false);
});

Deno.test("tdcrDivide decodes bits 0, 1 and 3 as the SDM table", () => {
  // 0000:2 0001:4 0010:8 0011:16 1000:32 1001:64 1010:128 1011:1
  assert.deepEqual(
    [0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb].map(tdcrDivide),
    [2, 4, 8, 16, 32, 64, 128, 1],
  );
});

Deno.test("ICR with a level-trigger bit sets the target's TMR", () => {
  const { rd, wr } = rig(2);
  wr(0, APIC_ICR2, 1 << 24);
  wr(0, APIC_ICR, APIC_INT_LEVELTRIG | 0x66);
  assert.equal(bit((r) => rd(1, r), APIC_TMR, 0x66), true);
});

Deno.test("LAPIC property: with EOI after each INTA, vectors come out highest first and only above the TPR class", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 16, max: 255 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 15 }),
      (vectors, tprClass) => {
        const { sys, wr } = rig(1);
        wr(0, APIC_TASKPRI, tprClass << 4);
        for (const v of vectors) sys.lapics[0].accept(v, false);
        const got: number[] = [];
        for (;;) {
          const v = sys.lapics[0].inta();
          // the spurious vector (0xff) sets no ISR bit: nothing was deliverable
          if (!sys.lapics[0].isrHas(v)) break;
          got.push(v);
          wr(0, APIC_EOI, 0);
          if (got.length > vectors.length) break;
        }
        // SDM 10.8.3.1: a vector is delivered only when its class is above PPR,
        // which is the TPR here (ISR empty after each EOI); highest vector first
        const want = vectors.filter((v) => (v >> 4) > tprClass).sort((a, b) => b - a);
        assert.deepEqual(got, want);
        for (const v of vectors) {
          assert.equal(sys.lapics[0].irrHas(v), (v >> 4) <= tprClass, `vector ${v} pending`);
        }
      },
    ),
    { numRuns: 200, seed: 42 },
  );
});

Deno.test("LINT0 in ExtINT mode passes the 8259's INTR through and INTA reaches the 8259 (virtual wire)", () => {
  const { sys, intr, wr } = rig(1);
  const pic = { inta: () => 0x38 }; // an 8259 answering ISA_IRQ_VECTOR(8)
  const picInt = new OutputPin("pic.int", pic);
  connect(picInt, sys.lapics[0].pins.get("lint0") as InputPin);
  wr(0, APIC_LVT0, APIC_DM_EXTINT | APIC_LVT_MASKED);
  picInt.set(true);
  assert.equal(intr[0].level, false, "LINT0 masked: nothing passes");
  wr(0, APIC_LVT0, APIC_DM_EXTINT);
  assert.equal(intr[0].level, true);
  // the vector comes from the 8259's INTA cycle; no ISR bit is set in the LAPIC
  assert.equal(sys.lapics[0].inta(), 0x38);
  assert.equal(sys.lapics[0].highestIsr, -1);
});
