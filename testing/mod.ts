/**
 * The conformance kit for plugin authors: run the same suites the built-in
 * controllers and devices pass. Import it by path (`testing/mod.ts`) from a
 * test file of your plugin and run it with `deno test`.
 *
 * - {@linkcode chipConformance}: an interrupt controller driven by genirq
 *   (request/mask/unmask/ack/eoi/set_type/free through real wires and CPUs,
 *   and the flow rules: edges during a handler are not lost, level lines do
 *   not re-enter).
 * - {@linkcode deviceConformance}: wiring checks for every device kind of a
 *   plugin.
 *
 * @example
 * ```ts
 * // my_pic_test.ts
 * import { chipConformance } from "../testing/mod.ts";
 * import { myPic } from "./mod.ts";
 * await chipConformance({
 *   chip: "MY-PIC",
 *   machine: "machines/my_board.yaml",
 *   registry: { ...builtinPlugins, my_pic: myPic },
 * });
 * ```
 * @module
 */
export * from "./chip.ts";
export * from "./device.ts";
