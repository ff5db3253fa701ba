/**
 * The conformance kit for plugin authors: run the same suites the built-in
 * controllers and devices pass. Import it by path (`testing/mod.ts`) from a
 * test file of your plugin and run it with `deno test --allow-read=.`.
 * The guide is docs/plugins.md.
 *
 * - {@linkcode chipConformance}: an interrupt controller driven by genirq
 *   (request/mask/unmask/ack/eoi/set_type/free through real wires and CPUs,
 *   and the flow rules: edges during a handler are not lost, level lines do
 *   not re-enter, the flow handler calls the chip in the kernel's order).
 *   A `prepare` hook maps IRQs of chips that map them on request (GPIO).
 * - {@linkcode deviceConformance}: wiring checks for every device kind of a
 *   plugin.
 *
 * Every case that cannot apply is registered as an ignored test whose name
 * gives the case and the reason.
 *
 * @example
 * ```ts
 * // my_pic_test.ts
 * import { chipConformance, deviceConformance } from "../testing/mod.ts";
 * import { builtinPlugins } from "../mod.ts";
 * import myPic from "./mod.ts";
 * await chipConformance({ chip: "MY-PIC", machine: "my_board.yaml" }); // loads ./mod.ts by path
 * deviceConformance(myPic(), {}, [builtinPlugins.genirq()]);
 * ```
 * @module
 */
export * from "./chip.ts";
export * from "./device.ts";
