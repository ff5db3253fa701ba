/*
 * userapp.c with permission asked first:
 *
 *   #include <stdio.h>
 *   #include <sys/io.h>
 *   int main()
 *   {
 *           if (ioperm(0x00, 1, 1)) {
 *                   perror("ioperm");
 *                   return 1;
 *           }
 *           outb(0x80, 0x00);
 *           printf("outb done\n");
 *           return 0;
 *   }
 *
 * ioperm() needs CAP_SYS_RAWIO: as a normal user it fails with EPERM,
 * with sudo the outb goes through.
 */
import { ioperm, outb, perror, printf } from "../../user.ts";

export default function* main() {
  if (yield* ioperm(0x00, 1, 1)) {
    yield* perror("ioperm");
    return 1;
  }
  yield* outb(0x80, 0x00);
  yield* printf("outb done\n");
  return 0;
}
