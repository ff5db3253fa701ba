/**
 * Linux's i8042 driver in small (drivers/input/serio/i8042.c): request IRQ 1
 * (and 12 for the AUX port) as shared "i8042", enable the ports' interrupts
 * in the controller command byte, and in the handler read the status then
 * the data byte, as i8042_interrupt() does. The byte goes to the keyboard
 * driver (atkbd), which is not modelled beyond the read.
 *
 * @module
 */

import { inb, outb } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_RETVAL, IRQF_SHARED, type irqreturn_t } from "../../genirq/constants.ts";
import { request_irq } from "../../genirq/api.ts";
import {
  CMD_READ_CTR,
  CMD_WRITE_CTR,
  CTR_AUXINT,
  CTR_KBDINT,
  I8042_COMMAND_REG,
  I8042_DATA_REG,
  I8042_STATUS_REG,
  STATUS_OBF,
} from "./mod.ts";

/** The platform device given as dev_id (one per machine). */
export interface I8042Platform {
  name: "i8042";
  bytes: number[];
}

/**
 * i8042_interrupt(): read status; without OBF it was not ours (IRQ_NONE);
 * else read the data byte and pass it on. Interrupt context.
 */
export const i8042_interrupt = withCost(function i8042_interrupt(
  _irq: number,
  dev: unknown,
): irqreturn_t {
  const str = inb(I8042_STATUS_REG);
  if (~str & STATUS_OBF) return IRQ_RETVAL(0);
  const data = inb(I8042_DATA_REG);
  (dev as I8042Platform).bytes.push(data);
  return IRQ_RETVAL(1);
}, 1500);

/** i8042_probe(): request the IRQs, enable the port interrupts, print the ports. */
export function probeI8042(k: Kernel, aux: boolean): I8042Platform {
  const pdev: I8042Platform = { name: "i8042", bytes: [] };
  k.enter(() => {
    // i8042_controller_init(): read the command byte before any IRQ is requested
    outb(CMD_READ_CTR, I8042_COMMAND_REG);
    let ctr = inb(I8042_DATA_REG);
    if (aux) request_irq(12, i8042_interrupt, IRQF_SHARED, "i8042", pdev);
    request_irq(1, i8042_interrupt, IRQF_SHARED, "i8042", pdev);
    // i8042_enable_kbd_port() / i8042_enable_aux_port()
    ctr |= CTR_KBDINT | (aux ? CTR_AUXINT : 0);
    outb(CMD_WRITE_CTR, I8042_COMMAND_REG);
    outb(ctr, I8042_DATA_REG);
    k.printk(6, "serio: i8042 KBD port at 0x60,0x64 irq 1");
    if (aux) k.printk(6, "serio: i8042 AUX port at 0x60,0x64 irq 12");
  });
  return pdev;
}
