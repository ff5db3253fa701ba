/**
 * /proc/cpuinfo as arch/x86/kernel/cpu/proc.c show_cpuinfo() prints it,
 * for the fields the model knows: the model name and clock from the machine
 * file, the topology (one package, one thread per core), `apicid` (the
 * LAPIC's APIC_ID register) and `initial apicid` (CPUID.01h:EBX[31:24], the
 * ID at reset), and the `apic` flag (CPUID.01h:EDX bit 9) among the x86-64
 * baseline flags. Not printed, because the machine file does not say them:
 * `cpu family`, `model`, `stepping`, `microcode`, `cache size`, `cpuid level`,
 * `bugs` and the extended flags.
 *
 * @module
 */

import type { Kernel } from "../../core/kernel.ts";
import type { ApicSystem } from "./system.ts";

/**
 * The CPUID.01h:EDX / 80000001h flags every x86-64 CPU has, in the kernel's
 * x86_cap_flags order: `apic` is CPUID.01h:EDX bit 9.
 */
export const X86_64_BASELINE_FLAGS = [
  "fpu",
  "vme",
  "de",
  "pse",
  "tsc",
  "msr",
  "pae",
  "mce",
  "cx8",
  "apic",
  "sep",
  "mtrr",
  "pge",
  "mca",
  "cmov",
  "pat",
  "pse36",
  "clflush",
  "mmx",
  "fxsr",
  "sse",
  "sse2",
  "ht",
  "syscall",
  "nx",
  "lm",
] as const;

/** The text of /proc/cpuinfo. */
export function showCpuinfo(k: Kernel, sys: ApicSystem): string {
  const model = k.config.cpuModel;
  const mhz = k.config.cpuMhz;
  const vendor = /amd/i.test(model ?? "") ? "AuthenticAMD" : "GenuineIntel";
  const n = k.cpus.length;
  let out = "";
  for (const cpu of k.cpus) {
    out += `processor\t: ${cpu.id}\n`;
    out += `vendor_id\t: ${vendor}\n`;
    if (model !== undefined) out += `model name\t: ${model}\n`;
    if (mhz !== undefined) out += `cpu MHz\t\t: ${mhz.toFixed(3)}\n`;
    // show_cpuinfo_core()
    out += `physical id\t: 0\n`;
    out += `siblings\t: ${n}\n`;
    out += `core id\t\t: ${cpu.id}\n`;
    out += `cpu cores\t: ${n}\n`;
    out += `apicid\t\t: ${sys.lapics[cpu.id].id}\n`;
    out += `initial apicid\t: ${cpu.id}\n`;
    // show_cpuinfo_misc() (64-bit)
    out += `fpu\t\t: yes\n`;
    out += `fpu_exception\t: yes\n`;
    out += `wp\t\t: yes\n`;
    out += `flags\t\t: ${X86_64_BASELINE_FLAGS.join(" ")}\n`;
    // bogomips: loops_per_jiffy from the TSC, 2 x the clock in MHz
    if (mhz !== undefined) out += `bogomips\t: ${(2 * mhz).toFixed(2)}\n`;
    out += `clflush size\t: 64\n`;
    out += `cache_alignment\t: 64\n`;
    out += `address sizes\t: 39 bits physical, 48 bits virtual\n`;
    out += `power management:\n\n`;
  }
  return out;
}
