/**
 * strerror() texts of the errno values drivers return (glibc wording, as
 * insmod prints them).
 *
 * @module
 */

const TEXT: Record<number, string> = {
  1: "Operation not permitted",
  2: "No such file or directory",
  5: "Input/output error",
  12: "Cannot allocate memory",
  13: "Permission denied",
  16: "Device or resource busy",
  19: "No such device",
  22: "Invalid argument",
  38: "Function not implemented",
  107: "Transport endpoint is not connected",
  524: "Unknown error 524",
};

/** strerror(-r) for a negative errno return value. */
export function strerror(r: number): string {
  const e = Math.abs(r);
  return TEXT[e] ?? `Unknown error ${e}`;
}
