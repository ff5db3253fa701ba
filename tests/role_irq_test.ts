/**
 * role_irq(): a module finds its device's interrupt by the role the machine
 * file binds, the way platform_get_irq(pdev, num) reads a platform device's
 * interrupt resources (drivers/base/platform.c), so one module runs on the
 * PC and on the Pi. Expected numbers come from the machine files' wiring and
 * from the IRQ rows other tests pin.
 */
import assert from "node:assert/strict";
import { loadMachine } from "../runner/mod.ts";
import { gpio_to_irq, role_irq } from "../mod.ts";

Deno.test("role_irq on pc.yaml: the i8042's pins in order (irq1, irq12), the PIT, -ENXIO", async () => {
  const { kernel: k } = await loadMachine("machines/pc.yaml");
  k.enter(() => {
    // keyboard.irq1 -> pic_master.ir1: IRQ 1; keyboard.irq12 -> pic_slave.ir4: 8 + 4
    assert.equal(role_irq("keyboard"), 1);
    assert.equal(role_irq("keyboard", 1), 12);
    assert.equal(role_irq("timer"), 0); // pit.out0 -> pic_master.ir0
    assert.equal(role_irq("disk"), 14); // ide0.irq14 -> pic_slave.ir6
    // platform_get_irq()'s -ENXIO: no third interrupt, no such role
    assert.equal(role_irq("keyboard", 2), -6);
    assert.equal(role_irq("button"), -6);
  });
});

Deno.test("role_irq on the Pi 3: the button is gpio_to_irq(15), the USB keyboard its host's IRQ", async () => {
  const { kernel: k } = await loadMachine("machines/rpi.yaml");
  k.enter(() => {
    // No GPIO is mapped at boot; the first mapping takes 126 (button_experiment
    // pins GPIO 15 -> 126 and GPIO 16 -> 127 when its modules map them in that order).
    assert.equal(role_irq("button"), 126);
    assert.equal(gpio_to_irq(15), 126, "the same mapping, not a second one");
    assert.equal(role_irq("button2"), 127);
    // usb_kbd has no line: dwc_otg's GPU 9 is Linux IRQ 66 (tests/rpi_test.ts pins the row)
    assert.equal(role_irq("keyboard"), 66);
    assert.equal(role_irq("nic"), 66, "smsc95xx sits behind the same host");
    assert.equal(role_irq("keyboard", 1), -6);
    assert.equal(role_irq("disk"), -6);
  });
});

Deno.test("role_irq on the Pi 1: dwc_otg is IRQ 33 there", async () => {
  const { kernel: k } = await loadMachine("machines/rpi1.yaml");
  k.enter(() => assert.equal(role_irq("keyboard"), 33));
});
