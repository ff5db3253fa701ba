/*
 * A CPU-bound user program at nice 0:
 *
 *   int main(void) {
 *           for (volatile long i = 0; i < N; i++)
 *                   ;                   // about 1 ms of work per 1000 iterations
 *           printf("hog done\n");
 *           return 0;
 *   }
 *
 * Each yielded udelay(1000) is one millisecond of user-mode CPU time (a
 * busy token: no system call, preemptible at any tick).
 */
import { udelay } from "../../mod.ts";
import { printf } from "../../user.ts";

export default function* main() {
  for (let ms = 0; ms < 2000; ms++) yield udelay(1000);
  yield* printf("hog done\n");
  return 0;
}
