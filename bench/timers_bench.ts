/**
 * Timer wheel costs: arming and re-arming timer_lists, and the tick with
 * many pending timers (run_local_timers + TIMER_SOFTIRQ expiring them).
 *
 * @module
 */
import { TimerBench } from "../plugins/timers/_testing.ts";
import { del_timer, mod_timer, timer_list, timer_setup } from "../plugins/timers/mod.ts";

const N = 10_000;

Deno.bench("timers: mod_timer of 10,000 timers, then re-arm and del_timer each", () => {
  const b = new TimerBench(1, { hz: 1000 });
  const ts = Array.from({ length: N }, () => new timer_list());
  b.call(() => {
    for (const t of ts) timer_setup(t, () => {}, 0);
    for (let i = 0; i < N; i++) mod_timer(ts[i], 10 + (i % 5000));
    for (let i = 0; i < N; i++) mod_timer(ts[i], 20 + (i % 7000));
    for (const t of ts) del_timer(t);
  });
});

Deno.bench("timers: 1 s at HZ 1000 expiring 10,000 timers spread over it", () => {
  const b = new TimerBench(1, { hz: 1000 });
  const ts = Array.from({ length: N }, () => new timer_list());
  b.call(() => {
    for (const t of ts) timer_setup(t, () => {}, 0);
    for (let i = 0; i < N; i++) mod_timer(ts[i], 1 + (i % 990));
  });
  b.run(1_000_000_000);
});
