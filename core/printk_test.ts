/**
 * printk: the dmesg time prefix, the kernel's printf subset and the log
 * buffer. Expected strings are written out by hand from the C formats
 * (`[%5lu.%06lu]`, vsnprintf), not produced by the code.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatDmesgTime, KernelLog, kprintf, LOGLEVEL, type LogRecord } from "./printk.ts";

Deno.test("formatDmesgTime prints zero as [    0.000000]", () => {
  assert.equal(formatDmesgTime(0), "[    0.000000]");
});

Deno.test("formatDmesgTime truncates nanoseconds to microseconds", () => {
  assert.equal(formatDmesgTime(1_234_567_890), "[    1.234567]");
  assert.equal(formatDmesgTime(999), "[    0.000000]");
  assert.equal(formatDmesgTime(59_999_999_999), "[   59.999999]");
  assert.equal(formatDmesgTime(1_000), "[    0.000001]");
});

Deno.test("formatDmesgTime fills five second digits and widens past them", () => {
  assert.equal(formatDmesgTime(12_345 * 1e9), "[12345.000000]");
  assert.equal(formatDmesgTime(123_456 * 1e9 + 7_000), "[123456.000007]");
});

Deno.test("kprintf formats %d, %i and %u as C does", () => {
  assert.equal(kprintf("%d %i %d", [-5, 7, 0]), "-5 7 0");
  assert.equal(kprintf("%u", [-1]), "4294967295");
  assert.equal(kprintf("%u", [3_000_000_000]), "3000000000");
  assert.equal(kprintf("%d %d", [3.7, -3.7]), "3 -3");
  assert.equal(kprintf("%+d %+d", [5, -5]), "+5 -5");
});

Deno.test("kprintf formats %x, %X, %#x and %o", () => {
  assert.equal(kprintf("%x %X", [255, 255]), "ff FF");
  assert.equal(kprintf("%x", [-1]), "ffffffff");
  assert.equal(kprintf("%#x %#x", [255, 0]), "0xff 0");
  assert.equal(kprintf("%o", [8]), "10");
});

Deno.test("kprintf pads %08x with zeros", () => {
  assert.equal(kprintf("%08x", [0xbeef]), "0000beef");
  assert.equal(kprintf("0x%08x", [0x00170011]), "0x00170011");
  assert.equal(kprintf("%08x", [0xdeadbeef]), "deadbeef");
});

Deno.test("kprintf pads numbers right, left with -, and with zeros after the sign", () => {
  assert.equal(kprintf("%5d|%-5d|%05d", [42, 42, -42]), "   42|42   |-0042");
  assert.equal(kprintf("%3d", [12345]), "12345", "a width never truncates");
});

Deno.test("kprintf pads %5s on the left and %-5s on the right", () => {
  assert.equal(kprintf("%5s|", ["ab"]), "   ab|");
  assert.equal(kprintf("%-5s|", ["ab"]), "ab   |");
  assert.equal(kprintf("%-5s|", ["abcdefg"]), "abcdefg|");
  assert.equal(kprintf("%05s|", ["ab"]), "   ab|", "0 pads only numbers");
});

Deno.test("kprintf takes %s precision and prints (null) for a missing string", () => {
  assert.equal(kprintf("%.3s|%8.3s|", ["abcdef", "abcdef"]), "abc|     abc|");
  assert.equal(kprintf("%s %s", [null, undefined]), "(null) (null)");
});

Deno.test("kprintf formats %c from a character code or a string", () => {
  assert.equal(kprintf("%c%c", [65, "xyz"]), "Ax");
  assert.equal(kprintf("%c", [0x141]), "A", "the code is taken modulo 256");
  assert.equal(kprintf("%3c|", [66]), "  B|");
});

Deno.test("kprintf prints %% as one percent sign without taking an argument", () => {
  assert.equal(kprintf("100%%", []), "100%");
  assert.equal(kprintf("%d%%%d", [1, 2]), "1%2");
  assert.equal(kprintf("%%d", [9]), "%d");
});

Deno.test("kprintf prints %p as 16 hex digits", () => {
  assert.equal(kprintf("%p", [0x1234]), "0000000000001234");
  assert.equal(kprintf("%p", [{}]), "0000000000000000");
});

Deno.test("kprintf ignores l, ll, h and z length modifiers", () => {
  assert.equal(kprintf("%ld %lu %llx %zu %hd", [1, 2, 255, 3, 4]), "1 2 ff 3 4");
  assert.equal(kprintf("%5lu.%06lu", [1, 234]), "    1.000234");
});

Deno.test("kprintf takes a * width from the arguments", () => {
  assert.equal(kprintf("%*d|", [4, 7]), "   7|");
});

Deno.test("kprintf consumes arguments in order across mixed conversions", () => {
  assert.equal(
    kprintf('irq %d: nobody cared (try booting with the "%s" option)', [9, "irqpoll"]),
    'irq 9: nobody cared (try booting with the "irqpoll" option)',
  );
  assert.equal(
    kprintf("Character %c %s", ["a", "Pressed"]),
    "Character a Pressed",
  );
});

Deno.test("KernelLog.log splits multi-line text into one record per line", () => {
  const log = new KernelLog();
  const seen: LogRecord[] = [];
  log.onRecord = (r) => seen.push(r);
  log.log(1_500_000_000, LOGLEVEL.INFO, 1, "line one\nline two\n");
  log.log(2_000_000_000, LOGLEVEL.ERR, 0, "a\n\nb");
  assert.deepEqual(log.lines(), ["line one", "line two", "a", "", "b"]);
  assert.deepEqual(log.records[0], { ts: 1_500_000_000, level: 6, cpu: 1, text: "line one" });
  assert.deepEqual(log.records[1], { ts: 1_500_000_000, level: 6, cpu: 1, text: "line two" });
  assert.deepEqual(log.records[4], { ts: 2_000_000_000, level: 3, cpu: 0, text: "b" });
  assert.equal(seen.length, 5, "onRecord is called once per line");
});

Deno.test("KernelLog.log keeps a single line without a newline as one record", () => {
  const log = new KernelLog();
  log.log(0, LOGLEVEL.WARNING, 0, "hello");
  assert.deepEqual(log.lines(), ["hello"]);
});

Deno.test("KernelLog.dmesg prefixes each line with its time", () => {
  const log = new KernelLog();
  log.log(0, LOGLEVEL.INFO, 0, "Linux version 6.1.0");
  log.log(1_234_567_890, LOGLEVEL.INFO, 0, "i8042: first\nsecond");
  assert.equal(
    log.dmesg(),
    "[    0.000000] Linux version 6.1.0\n" +
      "[    1.234567] i8042: first\n" +
      "[    1.234567] second\n",
  );
});

Deno.test("LOGLEVEL numbers the KERN_* levels 0 to 7", () => {
  assert.deepEqual(
    [
      LOGLEVEL.EMERG,
      LOGLEVEL.ALERT,
      LOGLEVEL.CRIT,
      LOGLEVEL.ERR,
      LOGLEVEL.WARNING,
      LOGLEVEL.NOTICE,
      LOGLEVEL.INFO,
      LOGLEVEL.DEBUG,
    ],
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});
