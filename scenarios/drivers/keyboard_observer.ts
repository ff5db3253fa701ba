/**
 * The classic keyboard observer module (see the seed notes, "Example:
 * keyboard interrupt"), ported line by line: it shares IRQ 1 with i8042,
 * reads the scancode from the data port and logs the key. It returns
 * IRQ_NONE because it only observes; i8042 handles the interrupt.
 *
 * x86 only: it uses inb() on port 0x60.
 *
 * @module
 */
import {
  free_irq,
  inb,
  IRQ_NONE,
  IRQF_SHARED,
  type irqreturn_t,
  module_exit,
  module_init,
  MODULE_LICENSE,
  pr_info,
  request_irq,
  synchronize_irq,
} from "../../mod.ts";

MODULE_LICENSE("GPL");

/* these are the scan codes */
const kbdus: readonly (string | 0)[] = [
  0,
  "\x1b",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8", /* 9 */
  "9",
  "0",
  "-",
  "=",
  "\b", /* Backspace */
  "\t", /* Tab */
  "q",
  "w",
  "e",
  "r", /* 19 */
  "t",
  "y",
  "u",
  "i",
  "o",
  "p",
  "[",
  "]",
  "\n", /* Enter key */
  0, /* 29   - Control */
  "a",
  "s",
  "d",
  "f",
  "g",
  "h",
  "j",
  "k",
  "l",
  ";", /* 39 */
  "'",
  "`",
  0, /* Left shift */
  "\\",
  "z",
  "x",
  "c",
  "v",
  "b",
  "n", /* 49 */
  "m",
  ",",
  ".",
  "/",
  0, /* Right shift */
  "*",
  0, /* Alt */
  " ", /* Space bar */
  0, /* Caps lock */
  0, /* 59 - F1 key ... > */
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0, /* < ... F10 */
  0, /* 69 - Num lock*/
  0, /* Scroll Lock */
  0, /* Home key */
  0, /* Up Arrow */
  0, /* Page Up */
  "-",
  0, /* Left Arrow */
  0,
  0, /* Right Arrow */
  "+",
  0, /* 79 - End key*/
  0, /* Down Arrow */
  0, /* Page Down */
  0, /* Insert Key */
  0, /* Delete Key */
  0,
  0,
  0,
  0, /* F11 Key */
  0, /* F12 Key */
  0, /* All other keys are undefined */
];

const irq = 1, dev = { id: 0xaa }; /* IRQ 1: number for keyboard (i8042) */

const KBD_DATA_REG = 0x60; /* I/O port for keyboard data */
const KBD_SCANCODE_MASK = 0x7f;
const KBD_STATUS_MASK = 0x80;

function keyboard_handler(_irq: number, _dev: unknown): irqreturn_t {
  const scancode = inb(KBD_DATA_REG);
  pr_info(
    "Character %c %s\n",
    kbdus[scancode & KBD_SCANCODE_MASK],
    scancode & KBD_STATUS_MASK ? "Released" : "Pressed",
  );
  return IRQ_NONE;
}

/* registering irq */
function test_interrupt_init(): number {
  pr_info("%s: In init\n", "test_interrupt_init");
  return request_irq(irq, keyboard_handler, IRQF_SHARED, "my_keyboard_handler", dev);
}

function* test_interrupt_exit() {
  pr_info("%s: In exit\n", "test_interrupt_exit");
  yield synchronize_irq(irq); /* synchronize interrupt */
  free_irq(irq, dev);
}

module_init(test_interrupt_init);
module_exit(test_interrupt_exit);
