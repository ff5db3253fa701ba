/**
 * Linux's side of the ACPI SCI and the fixed power button, in small:
 *
 * - acpi_early_init() (drivers/acpi/bus.c): in PIC mode (no IOAPIC, or
 *   `noapic`) the SCI's trigger goes into the ELCR with
 *   acpi_pic_sci_set_trigger() (arch/x86/kernel/acpi/boot.c): "compatible"
 *   means level, the new ELCR is only the SCI's bit (the PCI IRQs are set
 *   again as they are enabled), `ACPI: setting ELCR to 0200 (from 0000)`.
 * - acpi_ev_fixed_event_initialize() (drivers/acpi/acpica/evevent.c): every
 *   fixed event disabled (PM1_EN = 0) before the handler is installed.
 * - acpi_os_install_interrupt_handler() (drivers/acpi/osl.c):
 *   `request_irq(irq, acpi_irq, IRQF_SHARED, "acpi", acpi_irq)`.
 * - the power button device (LNXPWRBN, drivers/acpi/button.c
 *   acpi_button_add()): its input device and `ACPI: button: Power Button
 *   [PWRF]`; acpi_install_fixed_event_handler(ACPI_EVENT_POWER_BUTTON)
 *   (drivers/acpi/scan.c in 6.1) sets PWRBTN_EN.
 * - acpi_irq() → acpi_ev_sci_xrupt_handler() → acpi_ev_fixed_event_detect():
 *   read PM1_STS and PM1_EN, for each fixed event set in both clear its
 *   status bit (write 1) and call its handler; the power button's,
 *   acpi_device_fixed_event(), defers the notify to the `kacpi_notify`
 *   workqueue (acpi_os_execute(OSL_NOTIFY_HANDLER)) and returns
 *   ACPI_INTERRUPT_HANDLED, so acpi_irq() returns IRQ_HANDLED; the notify,
 *   acpi_button_notify(), reports KEY_POWER and counts the press
 *   (button->pushed) — nothing in dmesg at the default log level.
 *
 * @module
 */

import { inb, inw, outb, outw } from "../../linux/api.ts";
import { withCost } from "../../core/body.ts";
import type { Kernel } from "../../core/kernel.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, type irqreturn_t } from "../genirq/constants.ts";
import { request_irq } from "../genirq/api.ts";
import { GenIrqKey } from "../genirq/genirq.ts";
import {
  alloc_workqueue,
  INIT_WORK,
  queue_work,
  work_struct,
  type workqueue_struct,
  WorkqueueKey,
} from "../workqueue/mod.ts";
import {
  ACPI_BITMASK_GLOBAL_LOCK_ENABLE,
  ACPI_BITMASK_GLOBAL_LOCK_STATUS,
  ACPI_BITMASK_POWER_BUTTON_ENABLE,
  ACPI_BITMASK_POWER_BUTTON_STATUS,
  ACPI_BITMASK_RT_CLOCK_ENABLE,
  ACPI_BITMASK_RT_CLOCK_STATUS,
  ACPI_BITMASK_SLEEP_BUTTON_ENABLE,
  ACPI_BITMASK_SLEEP_BUTTON_STATUS,
  ACPI_BITMASK_TIMER_ENABLE,
  ACPI_BITMASK_TIMER_STATUS,
  type AcpiPm,
} from "./pm1.ts";

/** ACPI_INTERRUPT_NOT_HANDLED / ACPI_INTERRUPT_HANDLED (include/acpi/actypes.h). */
export const ACPI_INTERRUPT_NOT_HANDLED = 0x00;
export const ACPI_INTERRUPT_HANDLED = 0x01;

/** ACPI_EVENT_* fixed event numbers (include/acpi/actypes.h), the dispatch order. */
export const ACPI_EVENT_PMTIMER = 0;
export const ACPI_EVENT_GLOBAL = 1;
export const ACPI_EVENT_POWER_BUTTON = 2;
export const ACPI_EVENT_SLEEP_BUTTON = 3;
export const ACPI_EVENT_RTC = 4;

/** acpi_gbl_fixed_event_info[] (drivers/acpi/acpica/utglobal.c): status and enable masks. */
const FIXED_EVENT_INFO: readonly { status: number; enable: number }[] = [
  { status: ACPI_BITMASK_TIMER_STATUS, enable: ACPI_BITMASK_TIMER_ENABLE },
  { status: ACPI_BITMASK_GLOBAL_LOCK_STATUS, enable: ACPI_BITMASK_GLOBAL_LOCK_ENABLE },
  { status: ACPI_BITMASK_POWER_BUTTON_STATUS, enable: ACPI_BITMASK_POWER_BUTTON_ENABLE },
  { status: ACPI_BITMASK_SLEEP_BUTTON_STATUS, enable: ACPI_BITMASK_SLEEP_BUTTON_ENABLE },
  { status: ACPI_BITMASK_RT_CLOCK_STATUS, enable: ACPI_BITMASK_RT_CLOCK_ENABLE },
];

/** KEY_POWER (include/uapi/linux/input-event-codes.h). */
export const KEY_POWER = 116;

/** The ACPI subsystem's interrupt state (osl.c and acpica globals) and the power button. */
export interface AcpiSci {
  irq: number;
  /** PM1a_EVT_BLK: PM1a_STS here, PM1a_EN at +2. */
  pm1aEvtBlk: number;
  /** acpi_gbl_fixed_event_handlers[]: handler per fixed event. */
  fixedHandlers: (((ctx: AcpiSci) => number) | undefined)[];
  /** acpi_irq_handled / acpi_irq_not_handled (osl.c). */
  irqHandled: number;
  irqNotHandled: number;
  /** acpi_sci_count (evsci.c). */
  sciCount: number;
  /** acpi_fixed_event_count[] (acpica). */
  fixedEventCount: number[];
  /** The power button's struct acpi_button: pushed, and the KEY_POWER reports. */
  button: { pushed: number; keyEvents: { code: number; value: number }[] };
  /** kacpi_notify, where the notify handlers run (undefined: run in place). */
  notifyWq: workqueue_struct | null;
  notifyWork: work_struct;
}

/**
 * acpi_button_notify() for the fixed power button (drivers/acpi/button.c):
 * ACPI_FIXED_HARDWARE_EVENT → input_report_key(KEY_POWER, 1) then 0,
 * button->pushed++. Process context (kacpi_notify).
 */
export function acpi_button_notify(a: AcpiSci): void {
  a.button.keyEvents.push({ code: KEY_POWER, value: 1 }, { code: KEY_POWER, value: 0 });
  a.button.pushed++;
}

/**
 * acpi_device_fixed_event() (drivers/acpi/scan.c, 6.1): the fixed event
 * handler of the power button — defer the notify with acpi_os_execute(). Interrupt context.
 */
export function acpi_device_fixed_event(a: AcpiSci): number {
  if (a.notifyWq) queue_work(a.notifyWq, a.notifyWork);
  else acpi_button_notify(a);
  return ACPI_INTERRUPT_HANDLED;
}

/**
 * acpi_ev_fixed_event_detect() (drivers/acpi/acpica/evevent.c): read PM1
 * status and enable; dispatch each event set in both (clear its status bit
 * by writing 1, call its handler; no handler: disable it, not handled).
 */
export function acpi_ev_fixed_event_detect(a: AcpiSci): number {
  let intStatus = ACPI_INTERRUPT_NOT_HANDLED;
  const fixedStatus = inw(a.pm1aEvtBlk);
  const fixedEnable = inw(a.pm1aEvtBlk + 2);
  for (let i = 0; i < FIXED_EVENT_INFO.length; i++) {
    const info = FIXED_EVENT_INFO[i];
    if ((fixedStatus & info.status) && (fixedEnable & info.enable)) {
      a.fixedEventCount[i]++;
      // acpi_ev_fixed_event_dispatch(): ACPI_CLEAR_STATUS writes only this bit
      outw(info.status, a.pm1aEvtBlk);
      const h = a.fixedHandlers[i];
      if (!h) {
        outw(inw(a.pm1aEvtBlk + 2) & ~info.enable, a.pm1aEvtBlk + 2);
        continue;
      }
      intStatus |= h(a);
    }
  }
  return intStatus;
}

/** acpi_irq() (drivers/acpi/osl.c) → acpi_ev_sci_xrupt_handler(). Interrupt context. */
export const acpi_irq = withCost(function acpi_irq(_irq: number, dev: unknown): irqreturn_t {
  const a = dev as AcpiSci;
  // acpi_ev_sci_xrupt_handler(): fixed events, then GPEs (none modelled)
  const handled = acpi_ev_fixed_event_detect(a);
  a.sciCount++;
  if (handled) {
    a.irqHandled++;
    return IRQ_HANDLED;
  }
  a.irqNotHandled++;
  return IRQ_NONE;
}, 1500);

/**
 * acpi_pic_sci_set_trigger(irq, trigger) (arch/x86/kernel/acpi/boot.c):
 * trigger 3 = level, 1 = edge; the new ELCR keeps only the SCI's bit
 * (acpi_noirq is 0: the PCI IRQs are set again as they are enabled).
 */
export function acpi_pic_sci_set_trigger(k: Kernel, irq: number, trigger: number): void {
  const mask = 1 << irq;
  const old = inb(0x4d0) | (inb(0x4d1) << 8);
  let val = 0;
  if (trigger === 1) val &= ~mask;
  else if (trigger === 3) val |= mask;
  if (old === val) return;
  k.printk(4, `ACPI: setting ELCR to ${hex4(val)} (from ${hex4(old)})`);
  outb(val & 0xff, 0x4d0);
  outb(val >> 8, 0x4d1);
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0");
}

/**
 * Boot the ACPI interrupt side for the PM1 block `pm` whose SCI is Linux
 * IRQ `irq` (acpi_early_init, acpi_bus_init, the button's probe).
 */
export function bootAcpi(k: Kernel, pm: AcpiPm, irq: number): AcpiSci {
  const a: AcpiSci = {
    irq,
    pm1aEvtBlk: pm.options.pm1a_evt_blk,
    fixedHandlers: [],
    irqHandled: 0,
    irqNotHandled: 0,
    sciCount: 0,
    fixedEventCount: [0, 0, 0, 0, 0],
    button: { pushed: 0, keyEvents: [] },
    notifyWq: null,
    notifyWork: new work_struct(),
  };
  const gi = k.bus.get(GenIrqKey);
  k.enter(() => {
    // PIC mode: the SCI's row is on the XT-PIC, its trigger in the ELCR
    if (gi.irq_to_desc(irq)?.irq_data.chip.name === "XT-PIC") acpi_pic_sci_set_trigger(k, irq, 3);
    // acpi_ev_fixed_event_initialize(): all fixed events disabled
    outw(0, a.pm1aEvtBlk + 2);
    // acpi_os_initialize1(): kacpi_notify = alloc_workqueue("kacpi_notify", 0, 1)
    if (k.bus.tryGet(WorkqueueKey)) {
      a.notifyWq = alloc_workqueue("kacpi_notify", 0, 1);
      INIT_WORK(a.notifyWork, () => acpi_button_notify(a));
    }
    // acpi_ev_install_sci_handler() → acpi_os_install_interrupt_handler()
    const err = request_irq(irq, acpi_irq, IRQF_SHARED, "acpi", a);
    if (err) {
      k.printk(3, `ACPI: SCI (IRQ${irq}) allocation failed`);
      return;
    }
    // acpi_button_add(): the input device, then the line; the fixed handler enables PWRBTN_EN
    k.printk(6, "input: Power Button as /devices/LNXSYSTM:00/LNXPWRBN:00/input/input0");
    k.printk(6, "ACPI: button: Power Button [PWRF]");
    a.fixedHandlers[ACPI_EVENT_POWER_BUTTON] = acpi_device_fixed_event;
    outw(inw(a.pm1aEvtBlk + 2) | ACPI_BITMASK_POWER_BUTTON_ENABLE, a.pm1aEvtBlk + 2);
  });
  return a;
}
