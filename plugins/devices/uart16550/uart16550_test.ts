import assert from "node:assert/strict";
import { testKernel } from "../../../tests/helpers.ts";
import { Probe } from "../_testing.ts";
import {
  COM1_BASE,
  modemArgs,
  receiveArgs,
  Uart16550,
  uart16550Options,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_FCR_CLEAR_RCVR,
  UART_FCR_CLEAR_XMIT,
  UART_FCR_ENABLE_FIFO,
  UART_IER,
  UART_IER_MSI,
  UART_IER_RDI,
  UART_IER_RLSI,
  UART_IER_THRI,
  UART_IIR,
  UART_IIR_FIFO_ENABLED,
  UART_IIR_MSI,
  UART_IIR_NO_INT,
  UART_IIR_RDI,
  UART_IIR_RLSI,
  UART_IIR_RX_TIMEOUT,
  UART_IIR_THRI,
  UART_LCR,
  UART_LCR_DLAB,
  UART_LCR_WLEN8,
  UART_LSR,
  UART_LSR_DR,
  UART_LSR_OE,
  UART_LSR_TEMT,
  UART_LSR_THRE,
  UART_MCR,
  UART_MCR_DTR,
  UART_MCR_LOOP,
  UART_MCR_OUT2,
  UART_MCR_RTS,
  UART_MSR,
  UART_MSR_CTS,
  UART_MSR_DCD,
  UART_MSR_DCTS,
  UART_MSR_DDCD,
  UART_RX,
  UART_SCR,
  UART_TX,
} from "./mod.ts";

/** One character at 115200 baud (divisor 1): 10 bits, ns. */
const CHAR_1 = Math.round(10e9 / 115200);

function setup(divisor = 1) {
  const k = testKernel();
  const uart = new Uart16550(k, "com1", { divisor });
  const irq = new Probe(k, uart.irq);
  const inb = (reg: number) => k.ports.read(COM1_BASE + reg, 1);
  const outb = (reg: number, v: number) => k.ports.write(COM1_BASE + reg, v, 1);
  return { k, uart, irq, inb, outb };
}

Deno.test("Uart16550 raises irq on received data only while OUT2 is set, and drops it when RBR is read", () => {
  const { k, uart, irq, inb, outb } = setup();
  outb(UART_IER, UART_IER_RDI);
  uart.receive("A", 0);
  k.runUntil(CHAR_1 - 1);
  assert.equal(inb(UART_LSR) & UART_LSR_DR, 0);
  k.runUntil(CHAR_1);
  assert.equal(inb(UART_IIR), UART_IIR_RDI, "INTR is pending inside the chip");
  assert.equal(irq.level, false, "but OUT2 is clear, so the PC's IRQ driver is off");
  outb(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
  assert.equal(irq.level, true);
  assert.equal(inb(UART_RX), 0x41);
  assert.equal(irq.level, false);
  assert.equal(inb(UART_IIR), UART_IIR_NO_INT);
  assert.deepEqual(irq.rises(), [CHAR_1]);
});

Deno.test("Uart16550 IIR reports line status, then RX data, then THRE, then modem status", () => {
  const { k, uart, irq, inb, outb } = setup();
  outb(UART_MCR, UART_MCR_OUT2);
  outb(UART_IER, UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI);
  uart.receive("xy", 0); // 16450 mode: the second byte overruns the first
  uart.setModemInputs({ cts: true });
  k.runUntil(3 * CHAR_1);
  assert.equal(irq.level, true);
  assert.equal(inb(UART_IIR), UART_IIR_RLSI);
  assert.equal(inb(UART_LSR) & UART_LSR_OE, UART_LSR_OE, "reading LSR clears the error");
  assert.equal(inb(UART_IIR), UART_IIR_RDI);
  assert.equal(inb(UART_RX), 0x79, "the overrunning byte replaced RBR");
  assert.equal(inb(UART_IIR), UART_IIR_THRI, "reading IIR clears THRE");
  assert.equal(inb(UART_IIR), UART_IIR_MSI);
  assert.equal(irq.level, true);
  assert.equal(inb(UART_MSR), UART_MSR_CTS | UART_MSR_DCTS);
  assert.equal(inb(UART_IIR), UART_IIR_NO_INT);
  assert.equal(irq.level, false);
});

Deno.test("Uart16550 FIFO interrupts at the trigger level and times out after four character times", () => {
  const { k, uart, irq, inb, outb } = setup();
  outb(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT | 0x40); // 4 bytes
  outb(UART_MCR, UART_MCR_OUT2);
  outb(UART_IER, UART_IER_RDI);
  uart.receive("abc", 0);
  k.runUntil(3 * CHAR_1);
  assert.equal(irq.level, false, "3 bytes are below the trigger level");
  k.runUntil(7 * CHAR_1 - 1);
  assert.equal(irq.level, false);
  k.runUntil(7 * CHAR_1);
  assert.equal(irq.level, true);
  assert.equal(inb(UART_IIR), UART_IIR_RX_TIMEOUT | UART_IIR_FIFO_ENABLED);
  assert.equal(String.fromCharCode(inb(UART_RX), inb(UART_RX), inb(UART_RX)), "abc");
  assert.equal(irq.level, false);
  const t = k.clock.now;
  uart.receive("wxyz", t);
  k.runUntil(t + 4 * CHAR_1 - 1);
  assert.equal(irq.level, false);
  k.runUntil(t + 4 * CHAR_1);
  assert.equal(irq.level, true, "the fourth byte reaches the trigger level");
  assert.equal(inb(UART_IIR), UART_IIR_RDI | UART_IIR_FIFO_ENABLED);
});

Deno.test("Uart16550 sends at the programmed baud and raises THRE when the FIFO runs empty", () => {
  const { k, uart, irq, inb, outb } = setup(12);
  const char = uart.charNs;
  assert.equal(char, Math.round(10e9 * 12 / 115200));
  outb(UART_FCR, UART_FCR_ENABLE_FIFO);
  outb(UART_MCR, UART_MCR_OUT2);
  assert.equal(inb(UART_IIR), UART_IIR_NO_INT | UART_IIR_FIFO_ENABLED);
  const text = "0123456789abcdef";
  for (const c of text) outb(UART_TX, c.charCodeAt(0));
  outb(UART_IER, UART_IER_THRI); // THR is not empty: no interrupt yet
  assert.equal(irq.level, false);
  assert.equal(inb(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0);
  k.runUntil(15 * char - 1);
  assert.equal(irq.level, false);
  assert.equal(uart.transmitted, text.slice(0, 14));
  k.runUntil(15 * char); // the last byte moves into the shift register
  assert.equal(irq.level, true);
  assert.equal(inb(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE);
  assert.equal(inb(UART_IIR), UART_IIR_THRI | UART_IIR_FIFO_ENABLED);
  assert.equal(irq.level, false, "reading IIR cleared the THRE interrupt");
  k.runUntil(16 * char);
  assert.equal(uart.transmitted, text);
  assert.equal(inb(UART_LSR) & UART_LSR_TEMT, UART_LSR_TEMT);
});

Deno.test("Uart16550 delays a lone byte's THRE interrupt in FIFO mode by a character minus a stop bit", () => {
  const { k, irq, inb, outb } = setup();
  outb(UART_FCR, UART_FCR_ENABLE_FIFO);
  outb(UART_MCR, UART_MCR_OUT2);
  outb(UART_IER, UART_IER_THRI);
  assert.equal(irq.level, true, "enabling THRI with THR empty interrupts at once");
  assert.equal(inb(UART_IIR), UART_IIR_THRI | UART_IIR_FIFO_ENABLED);
  assert.equal(irq.level, false);
  outb(UART_TX, 0x2e);
  const delay = CHAR_1 - Math.round(CHAR_1 / 10);
  k.runUntil(delay - 1);
  assert.equal(irq.level, false);
  k.runUntil(delay);
  assert.equal(irq.level, true);
});

Deno.test("Uart16550 in 16450 mode raises THRE as soon as THR moves into the shift register", () => {
  const { k, uart, irq, inb, outb } = setup();
  outb(UART_MCR, UART_MCR_OUT2);
  outb(UART_IER, UART_IER_THRI);
  inb(UART_IIR); // clear the THRE interrupt from enabling THRI
  assert.equal(irq.level, false);
  outb(UART_TX, 0x31); // straight into the idle shift register
  assert.equal(irq.level, true);
  outb(UART_TX, 0x32); // waits in THR: clears the interrupt
  assert.equal(irq.level, false);
  k.runUntil(CHAR_1);
  assert.equal(irq.level, true, "THR emptied when the first character finished");
  k.runUntil(2 * CHAR_1);
  assert.equal(uart.transmitted, "12");
});

Deno.test("Uart16550 reaches the divisor latch through DLAB and times characters from it", () => {
  const { uart, inb, outb } = setup();
  outb(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
  outb(UART_DLL, 3);
  outb(UART_DLM, 0);
  assert.equal(inb(UART_DLL), 3);
  outb(UART_LCR, UART_LCR_WLEN8);
  assert.equal(uart.baud, 38400);
  assert.equal(uart.charNs, Math.round(10e9 * 3 / 115200));
  outb(UART_IER, 0x0f);
  assert.equal(inb(UART_IER), 0x0f, "DLAB clear: offset 1 is IER again");
  outb(UART_SCR, 0xa5);
  assert.equal(inb(UART_SCR), 0xa5);
});

Deno.test("Uart16550 loopback mirrors MCR into MSR, receives its own bytes and cuts the IRQ line", () => {
  const { k, uart, irq, inb, outb } = setup();
  // serial8250 autoconfig's loopback check: MCR = LOOP | 0x0A, expect MSR & 0xF0 == 0x90.
  outb(UART_MCR, UART_MCR_LOOP | 0x0a);
  assert.equal(inb(UART_MSR) & 0xf0, 0x90);
  outb(UART_IER, UART_IER_RDI);
  outb(UART_TX, 0x55);
  k.runUntil(CHAR_1);
  assert.equal(inb(UART_IIR), UART_IIR_RDI, "INTR is pending");
  assert.equal(irq.level, false, "loopback forces OUT2 inactive");
  assert.equal(inb(UART_RX), 0x55);
  assert.equal(uart.transmitted, "", "nothing went out on the line");
});

Deno.test("Uart16550 modem stimulus sets delta bits and the modem status interrupt", () => {
  const { k, uart, irq, inb, outb } = setup();
  outb(UART_MCR, UART_MCR_OUT2);
  outb(UART_IER, UART_IER_MSI);
  uart.stimuli.modem.apply(modemArgs.parse({ dcd: true }), 1000);
  k.runUntil(1000);
  assert.equal(irq.level, true);
  assert.equal(inb(UART_MSR), UART_MSR_DCD | UART_MSR_DDCD);
  assert.equal(irq.level, false);
});

Deno.test("Uart16550 receive stimulus delivers bytes one character time plus the gap apart", () => {
  const { k, uart, irq, inb, outb } = setup();
  outb(UART_MCR, UART_MCR_OUT2);
  outb(UART_IER, UART_IER_RDI);
  const got: string[] = [];
  new Probe(k, uart.irq, (level) => {
    if (level) got.push(String.fromCharCode(inb(UART_RX)));
  });
  uart.stimuli.receive.apply(receiveArgs.parse({ text: "ok!", gap_us: 100 }), 5000);
  k.runUntil(1_000_000);
  assert.equal(got.join(""), "ok!");
  assert.deepEqual(irq.rises(), [
    5000 + CHAR_1,
    5000 + 2 * CHAR_1 + 100_000,
    5000 + 3 * CHAR_1 + 200_000,
  ]);
});

Deno.test("receiveArgs defaults the gap and rejects characters above U+00FF", () => {
  assert.deepEqual(receiveArgs.parse({ text: "hi" }), { text: "hi", gap_us: 0 });
  assert.equal(receiveArgs.safeParse({ text: "€" }).success, false);
  assert.throws(() => uart16550Options.parse({ base: 0x3f8, irq: 4 }));
  assert.deepEqual(uart16550Options.parse({}), { base: 0x3f8, divisor: 12 });
});
