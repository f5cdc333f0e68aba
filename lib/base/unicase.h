/* SPDX-License-Identifier: ISC */
/*
 * unicase: the Unicode lower-casing of JavaScript's
 * String.prototype.toLowerCase() (ECMA-262, the Unicode default case
 * conversion of Unicode §3.13 with SpecialCasing's unconditional mappings
 * and the Final_Sigma context), which the reference applies to every
 * address (API.md §0.1). The tables (unicase_table.h) are generated from
 * Node.js by script/gen-unicase.js. Used by the email normalisation; pure
 * functions, no allocation; base layer.
 */
#ifndef PTL_UNICASE_H
#define PTL_UNICASE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Lower-cases the strict UTF-8 text in[0..len) as toLowerCase() does:
 * every code point by its lower-case mapping, U+0130 to "i" U+0307, and
 * U+03A3 (capital sigma) to U+03C2 (final sigma) when a cased letter
 * precedes it and none follows it (case-ignorable characters between are
 * skipped, Unicode Table 3-17) and to U+03C3 otherwise. Bytes that are
 * not strict UTF-8 are copied through as they are.
 * OUT: out[0..out_size) receives the result and a NUL; in and out must
 * not overlap. The result is at most 3 * len / 2 bytes long (no mapping
 * grows a character by more than half). Returns its length without the
 * NUL, or (size_t)-1 (SIZE_MAX) when it does not fit, with out[0] set to
 * NUL if out_size > 0.
 */
size_t ptl_unicase_lower(const char *in, size_t len, char *out, size_t out_size)
    __attribute__((warn_unused_result, nonnull));

#endif
