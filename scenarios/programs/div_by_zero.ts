/*
 * divide_by_zero.c from the notes:
 *
 *   int main()
 *   {
 *           int i = 1/0;
 *           return 0;
 *   }
 *
 * gcc -O0 keeps the division (with a -Wdiv-by-zero warning): idiv -> #DE.
 */
import { div } from "../../user.ts";

export default function* main() {
  const i = yield* div(1, 0);
  void i;
  return 0;
}
