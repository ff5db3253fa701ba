/*
 * userapp.c from the notes:
 *
 *   #include <sys/io.h>
 *   int main()
 *   {
 *           outb(0x80, 0x00);
 *           return 0;
 *   }
 *
 * glibc's outb(value, port) writes 0x80 to port 0; without ioperm() the
 * port is closed in the TSS I/O bitmap: #GP(0).
 */
import { outb } from "../../user.ts";

export default function* main() {
  yield* outb(0x80, 0x00);
  return 0;
}
