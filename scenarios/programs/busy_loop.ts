/**
 * A busy user program: `for (i = 0; i < 50000; i++) getpid();` — it keeps
 * the CPU in user mode and in system calls for about 95 ms, so an
 * interrupt arriving meanwhile interrupts it (current is busy_loop).
 */
import { getpid } from "../../user.ts";

export default function* main() {
  for (let i = 0; i < 50000; i++) yield* getpid();
  return 0;
}
