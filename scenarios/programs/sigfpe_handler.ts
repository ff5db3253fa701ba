/*
 * sigfpe_handler.c:
 *
 *   #include <signal.h>
 *   #include <stdio.h>
 *   #include <stdlib.h>
 *
 *   static void handler(int sig)
 *   {
 *           printf("caught signal %d\n", sig);
 *           exit(1);
 *   }
 *
 *   int main()
 *   {
 *           signal(SIGFPE, handler);
 *           int i = 1/0;
 *           return 0;
 *   }
 *
 * Returning from the handler would run the idiv again (a fault restarts
 * its instruction), so the handler exits.
 */
import { div, exit, printf, SIGFPE, signal } from "../../user.ts";

function* handler(sig: number) {
  yield* printf("caught signal %d\n", sig);
  yield* exit(1);
}

export default function* main() {
  yield* signal(SIGFPE, handler);
  const i = yield* div(1, 0);
  void i;
  return 0;
}
