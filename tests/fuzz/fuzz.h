/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h: shared by the fuzz targets (fuzz_*.c). Each target defines
 * LLVMFuzzerTestOneInput; replay.c runs one over its corpus in make check,
 * and with clang -fsanitize=fuzzer the same file is a libFuzzer target.
 * fuzz_app() makes, once per process, an app on a temp database with
 * strong test secrets and a fixed clock; the directory is removed at exit.
 */
#ifndef PTL_FUZZ_H
#define PTL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "domain/app.h"

#define FUZZ_NOW_MS 1764115199123LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process's app (never NULL: aborts when it cannot be made). */
struct ptl_app *fuzz_app(void);

#endif
