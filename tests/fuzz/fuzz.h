/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h: shared by the fuzz targets (fuzz_*.c). Each target defines
 * LLVMFuzzerTestOneInput; replay.c runs one over its corpus in make check,
 * and with clang -fsanitize=fuzzer the same file is a libFuzzer target.
 * fuzz_app() makes, once per process, an app on a temp database with
 * strong test secrets, FUZZ_FRONTEND and FUZZ_ALLOWED, and a fixed clock;
 * the directory is removed at exit.
 */
#ifndef PTL_FUZZ_H
#define PTL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/app.h"

#define FUZZ_NOW_MS 1764115199123LL
/* FRONTEND_DOMAIN and AUTH_ALLOWED_REDIRECTS of the app. */
#define FUZZ_FRONTEND "https://app.example"
#define FUZZ_ALLOWED FUZZ_ALLOWED_1 ", " FUZZ_ALLOWED_2
#define FUZZ_ALLOWED_1 "https://allowed.example/cb"
#define FUZZ_ALLOWED_2 "https://docs.example/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process's app (never NULL: aborts when it cannot be made). */
struct ptl_app *fuzz_app(void);

/*
 * Whether answer (NUL-terminated) is a 303 whose Location is FUZZ_FRONTEND
 * followed by nothing, '/' or '?' (same origin), or starts with an entry
 * of FUZZ_ALLOWED at a boundary ('/', '?' or the end, after an entry not
 * ending in '/'): nothing but the path may differ (no userinfo, no other
 * host or port, no '\' before the path), and it holds no byte below
 * 0x21, no DEL and no '#' (cut off before the answer).
 */
bool fuzz_redirect_ok(const char *answer);

#endif
