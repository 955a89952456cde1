// Package platform holds the functions that keep the product itself
// healthy rather than moving business data: the health endpoint the deploy
// pipeline and Azure's health check call, the dead-letter watch that tells
// people what is stuck (and records each dead letter once, for `handler
// replay -dead-letter`), the outbox relay, and the poller watchdog that
// tells people when a timer stops succeeding.
//
// What it guarantees:
//
//   - A dead-lettered message is recorded once, its body archived before
//     its record is written; people get one card per subscription and
//     reason per ALERT_REPEAT_MINUTES, listing the messages with the
//     command that replays each.
//   - A timer that misses POLLER_WATCHDOG_MISSED_RUNS of its scheduled
//     runs (counted from its NCRONTAB schedule, so a daily or a weekday
//     timer is judged by its own calendar) is alerted once, and cleared
//     once when it succeeds again, however many watchdog runs or instances
//     see it.
//   - The platform's timers hold a PostgreSQL lease while they run: a run
//     that finds it held (an overlapping or hung run) fails, so a hung
//     timer shows as stopped instead of as a success.
package platform
