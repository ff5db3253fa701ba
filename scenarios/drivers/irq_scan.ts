/**
 * The seed notes' "module that checks all the interrupts that are not being
 * shared", ported line by line: it asks for every IRQ 0..MAX_IRQS-1 with
 * IRQF_SHARED and an observing handler, prints the lines that are busy
 * (-EBUSY: a user that did not agree to share), keeps the result per IRQ and
 * frees, at exit, every line it got.
 *
 * The notes' module prints only the -EBUSY lines. So that the run answers
 * "which fail and why" completely, this port adds one summary line per
 * result (a lab addition, marked below): the lines it got (0), the busy ones
 * and the ones with no descriptor behind them (-EINVAL: request_threaded_irq()
 * finds no irq_desc, kernel/irq/manage.c).
 *
 * @module
 */
import {
  EBUSY,
  free_irq,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_err,
  pr_info,
  request_irq,
} from "../../mod.ts";

const MAX_IRQS = 256;

const irqs: number[] = new Array(MAX_IRQS).fill(0);
const dev = { value: 1 };

function handler(_irq: number, _dev: unknown): irqreturn_t {
  //pr_info("irq:%d\n", irq); /*commented because this will be bothersome if a interrupt is continuosly being triggered */
  return IRQ_NONE; /* we return IRQ_NONE because we are just observing */
}

/** Lab addition: "0-3,5" style list of the IRQs whose result is `ret`. */
function ranges(ret: number): string {
  const out: string[] = [];
  for (let i = 0; i < MAX_IRQS; i++) {
    if (irqs[i] !== ret) continue;
    let j = i;
    while (j + 1 < MAX_IRQS && irqs[j + 1] === ret) j++;
    out.push(i === j ? `${i}` : `${i}-${j}`);
    i = j;
  }
  return out.join(",");
}

function myinit(): number {
  let ret, i;

  for (i = 0; i < MAX_IRQS; ++i) {
    ret = request_irq(
      i,
      handler,
      IRQF_SHARED,
      "myirqhandler0",
      dev,
    );
    irqs[i] = ret;
    if (ret === -EBUSY) {
      pr_err("request_irq failed irq = %d ret = %d\n", i, ret);
    }
  }
  // lab addition: the summary by result
  for (const r of [...new Set(irqs)].sort((a, b) => b - a)) {
    pr_info("irq_scan: ret = %d for irqs %s\n", r, ranges(r));
  }
  return 0;
}

function myexit(): void {
  let i;

  for (i = 0; i < MAX_IRQS; ++i) {
    if (!irqs[i]) {
      free_irq(i, dev);
    }
  }
}

module_init(myinit);
module_exit(myexit);
MODULE_LICENSE("GPL");
