import assert from "node:assert/strict";
import { PROC_EACCES, PROC_ENOENT, ProcFs } from "./procfs.ts";

Deno.test("procfs writes go to the file's writer; read-only files answer -EACCES, missing ones -ENOENT", () => {
  const p = new ProcFs();
  let value = "f\n";
  p.register("/proc/irq/default_smp_affinity", () => value, (d) => {
    if (!/^[0-9a-f,]+\n?$/.test(d)) return -22;
    value = d.endsWith("\n") ? d : d + "\n";
    return d.length;
  });
  p.register("/proc/interrupts", () => "");
  assert.equal(p.write("/proc/irq/default_smp_affinity", "3\n"), 2);
  assert.equal(p.read("/proc/irq/default_smp_affinity"), "3\n");
  assert.equal(p.write("/proc/irq/default_smp_affinity", "zz"), -22);
  assert.equal(p.read("/proc/irq/default_smp_affinity"), "3\n", "a failed write changes nothing");
  assert.equal(p.write("/proc/interrupts", "1"), -PROC_EACCES);
  assert.equal(p.write("/proc/nope", "1"), -PROC_ENOENT);
});

Deno.test("procfs directory writers: per-file answers, -EACCES for readable files they do not take", () => {
  const p = new ProcFs();
  const files = new Map([["1/smp_affinity", "1\n"], ["1/spurious", "count 0\n"]]);
  p.registerDir("/proc/irq/", (rest) => files.get(rest), (rest, data) => {
    if (rest !== "1/smp_affinity") return undefined;
    files.set(rest, data);
    return data.length;
  });
  assert.equal(p.write("/proc/irq/1/smp_affinity", "2\n"), 2);
  assert.equal(p.read("/proc/irq/1/smp_affinity"), "2\n");
  assert.equal(p.write("/proc/irq/1/spurious", "x"), -PROC_EACCES);
  assert.equal(p.write("/proc/irq/9/smp_affinity", "x"), -PROC_ENOENT);
});
