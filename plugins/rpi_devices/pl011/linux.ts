/**
 * Linux's amba-pl011 driver, receive interrupt path
 * (drivers/tty/serial/amba-pl011.c): the IRQ requested shared as
 * "uart-pl011" at port startup, RX FIFO at half full, pl011_int() reading
 * UARTMIS, draining the FIFO (pl011_fifo_to_tty) and clearing the causes.
 *
 * @module
 */

import { readl, writel } from "../../../linux/api.ts";
import { withCost } from "../../../core/body.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, request_irq } from "../../genirq/mod.ts";
import {
  type Pl011,
  UART011_ICR,
  UART011_IFLS,
  UART011_IMSC,
  UART011_MIS,
  UART011_RTIS,
  UART011_RXIS,
  UART01x_DR,
  UART01x_FR,
  UART01x_FR_RXFE,
} from "./mod.ts";

/** UART011_IFLS_RX4_8 | UART011_IFLS_TX4_8 */
const IFLS_HALF = (2 << 3) | 2;

/** pl011_startup(): request the IRQ, set the FIFO levels, unmask RX and RX timeout. */
export function pl011_startup(k: Kernel, dev: Pl011, irq: number): void {
  const base = dev.options.base;
  const uap = { dev, rx: 0 };
  k.enter(() => {
    const pl011_int = withCost(function pl011_int(_irq: number, _d: unknown) {
      let status = readl(base + UART011_MIS);
      if (!status) return IRQ_NONE;
      let pass = 256; // AMBA_ISR_PASS_LIMIT
      do {
        // RX and RX-timeout clear as the FIFO drains; the rest by UARTICR
        writel(status & ~(UART011_RXIS | UART011_RTIS), base + UART011_ICR);
        if (status & (UART011_RTIS | UART011_RXIS)) {
          // pl011_fifo_to_tty()
          while (!(readl(base + UART01x_FR) & UART01x_FR_RXFE)) {
            readl(base + UART01x_DR);
            uap.rx++;
          }
        }
        if (--pass === 0) break;
        status = readl(base + UART011_MIS);
      } while (status !== 0);
      return IRQ_HANDLED;
    }, 1000);
    if (request_irq(irq, pl011_int, IRQF_SHARED, "uart-pl011", uap) === 0) {
      writel(IFLS_HALF, base + UART011_IFLS);
      writel(UART011_RXIS | UART011_RTIS, base + UART011_IMSC);
    }
  });
}
