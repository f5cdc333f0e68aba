/* SPDX-License-Identifier: ISC */
/*
 * clock: the one place the project reads the time. Wall-clock time for
 * everything stored or signed (token iat/exp, session and mail times, rate
 * windows: milliseconds since the Unix epoch, UTC), and a monotonic clock
 * for measuring waits. The test clock (PTL_FAKE_NOW_MS, app->fake_now_ms)
 * is applied by ptl_app_now_ms() above this layer. Base layer.
 */
#ifndef PTL_CLOCK_H
#define PTL_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t ptl_clock_now_ms(void);

/* Microseconds of a monotonic clock (CLOCK_MONOTONIC): only differences
 * mean anything. */
int64_t ptl_clock_mono_us(void);

#endif
