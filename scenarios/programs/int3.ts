/*
 * interrupt.c from the notes:
 *
 *   int main() {
 *           int i = 0;
 *           while (i < 6) {
 *                   printf("i equals to: %d\n", i);
 *                   ++i;
 *           }
 *           __asm__("int3");
 *   }
 */
import { int3, printf } from "../../user.ts";

export default function* main() {
  let i = 0;
  while (i < 6) {
    yield* printf("i equals to: %d\n", i);
    ++i;
  }
  yield* int3();
  return 0;
}
