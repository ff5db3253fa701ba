/*
 * null_deref.c:
 *
 *   int main()
 *   {
 *           int *p = 0;
 *           return *p;
 *   }
 *
 * The load from address 0 finds no mapping: #PF, "segfault at 0", SIGSEGV.
 */
import { load } from "../../user.ts";

export default function* main() {
  const p = 0;
  return yield* load(p);
}
