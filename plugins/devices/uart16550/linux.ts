/**
 * Linux's 8250 driver in small (drivers/tty/serial/8250/): report the port
 * at boot, and open it as a getty would (uart_startup): 8N1, FIFO on, OUT2
 * (the PC's IRQ gate) and DTR/RTS, IRQ requested under the port's name
 * (`ttyS0`: 6.1 requests with up->port.name), receive interrupts enabled.
 * The handler drains the receiver like serial8250_handle_irq().
 *
 * @module
 */

import { inb, outb } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_RETVAL, type irqreturn_t } from "../../genirq/constants.ts";
import { request_irq } from "../../genirq/api.ts";
import {
  UART_BASE_BAUD,
  UART_FCR,
  UART_FCR_CLEAR_RCVR,
  UART_FCR_CLEAR_XMIT,
  UART_FCR_ENABLE_FIFO,
  UART_IER,
  UART_IER_RDI,
  UART_IER_RLSI,
  UART_IIR,
  UART_IIR_NO_INT,
  UART_LCR,
  UART_LCR_WLEN8,
  UART_LSR,
  UART_LSR_DR,
  UART_MCR,
  UART_MCR_DTR,
  UART_MCR_OUT2,
  UART_MCR_RTS,
  UART_RX,
} from "./mod.ts";

/** The tty side of an open port: what was received. */
export interface Tty8250 {
  name: string;
  base: number;
  received: number[];
}

/** serial8250_interrupt(): handle every pending cause. Interrupt context. */
export const serial8250_interrupt = withCost(function serial8250_interrupt(
  _irq: number,
  dev: unknown,
): irqreturn_t {
  const tty = dev as Tty8250;
  let handled = 0;
  for (let pass = 0; pass < 16; pass++) {
    const iir = inb(tty.base + UART_IIR);
    if (iir & UART_IIR_NO_INT) break;
    handled = 1;
    let lsr = inb(tty.base + UART_LSR);
    while (lsr & UART_LSR_DR) {
      tty.received.push(inb(tty.base + UART_RX));
      lsr = inb(tty.base + UART_LSR);
    }
  }
  return IRQ_RETVAL(handled);
}, 1000);

/** Report and open a 16550A port (serial8250 probe + uart_startup). */
export function probeSerial(k: Kernel, base: number, irq: number, line: number): Tty8250 {
  const tty: Tty8250 = { name: `ttyS${line}`, base, received: [] };
  k.enter(() => {
    k.printk(
      6,
      `serial8250: ${tty.name} at I/O 0x${
        base.toString(16)
      } (irq = ${irq}, base_baud = ${UART_BASE_BAUD}) is a 16550A`,
    );
    outb(UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT, base + UART_FCR);
    outb(UART_LCR_WLEN8, base + UART_LCR);
    // clear the interrupt registers (serial8250_do_startup)
    inb(base + UART_LSR);
    inb(base + UART_RX);
    inb(base + UART_IIR);
    const r = request_irq(irq, serial8250_interrupt, 0, tty.name, tty);
    if (r) k.printk(3, `${tty.name}: request_irq failed: ${r}`);
    outb(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2, base + UART_MCR);
    outb(UART_IER_RLSI | UART_IER_RDI, base + UART_IER);
  });
  return tty;
}
