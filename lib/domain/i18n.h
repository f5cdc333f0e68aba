/* SPDX-License-Identifier: ISC */
/*
 * i18n: the message files of API.md §12 and the choice of a language. At
 * start, every folder <dir>/<lang>/ is read with its <namespace>.json
 * files (flat or nested JSON objects of strings, as the reference's
 * src/i18n/<lang>/ files), once, for the life of the process, with every
 * size capped. A request's language is the shipped one its language
 * header names (API.md §12.1, §10 item 28: case-insensitive, "fr-FR" and
 * "fr_FR" give "fr"), else, where a caller asks for it (the account
 * pages), the best shipped match of its Accept-Language (RFC 9110
 * §12.5.4), else the fallback. It does not read requests (web/ passes the
 * header values) and does not render mails or pages.
 */
#ifndef PTL_I18N_H
#define PTL_I18N_H

#include <stddef.h>

#include "base/err.h"

/* Caps of the loader: languages, namespaces (files) of one language,
 * strings of one language, bytes of one file, bytes of one language tag
 * (a folder name) and of one namespace or dotted key. */
#define PTL_I18N_LANGS_MAX 32
#define PTL_I18N_FILES_MAX 32
#define PTL_I18N_STRINGS_MAX 2048
#define PTL_I18N_FILE_MAX ((size_t)256 * 1024)
#define PTL_I18N_TAG_MAX 35
#define PTL_I18N_KEY_MAX 128

struct ptl_i18n; /* the loaded message files, opaque */

/*
 * Loads every language folder of dir. A language is a folder whose name
 * is 1 to PTL_I18N_TAG_MAX letters, digits, '-' or '_' (other entries,
 * dot files included, are skipped); its namespaces are its regular files
 * <ns>.json, ns made of the same characters (other files are skipped).
 * Each file must be a JSON object whose members are strings or objects of
 * the same kind: nested names are joined with '.' ("confirmEmail.title").
 * OUT out: the table (free it with ptl_i18n_free()), untouched on failure.
 * Returns PTL_ERR_INTERNAL, with one log line naming the file or the
 * setting, when dir cannot be read, a file cannot be read, is larger than
 * PTL_I18N_FILE_MAX, is not such an object or holds a name twice (once
 * nested names are joined), a cap above is passed, two folders differ
 * only in case, or no folder matches fallback (APP_FALLBACK_LANGUAGE,
 * compared case-insensitively) exactly.
 */
enum ptl_err ptl_i18n_load(struct ptl_i18n **out, const char *dir,
			   const char *fallback)
    __attribute__((warn_unused_result, nonnull));

/* Frees t and every string of it. NULL is a no-op. */
void ptl_i18n_free(struct ptl_i18n *t);

/*
 * The shipped language of a request, as its folder name (owned by t;
 * never NULL):
 * 1. header, the value of the language header (APP_HEADER_LANGUAGE) or
 *    NULL: without its surrounding spaces and tabs, the shipped language
 *    equal to it ignoring ASCII case, else to it cut before its last '-'
 *    or '_', and so on ("fr-CA_y", "fr-CA", "fr"; API.md §12.1). "debug"
 *    is a language like any other: unknown unless shipped.
 * 2. when header gives none and accept_language is not NULL: of the
 *    language ranges of that Accept-Language list (RFC 9110 §12.5.4) with
 *    a q-value above 0, the one with the highest q (the first of equals)
 *    that matches a shipped language as in 1 (RFC 4647 §3.4 lookup); "*"
 *    and malformed members are ignored, and at most 32 members are read.
 * 3. the fallback language.
 * header and accept_language are borrowed and may hold anything.
 */
const char *ptl_i18n_pick(const struct ptl_i18n *t, const char *header,
			  const char *accept_language)
    __attribute__((nonnull(1), returns_nonnull));

/*
 * The string key (dotted for nested objects: "confirmEmail.title") of
 * namespace ns (the file name without ".json": "confirm-email") in
 * language lang (a tag as ptl_i18n_pick() returns; another shipped tag,
 * any case, works too, and an unknown one means the fallback), else of
 * the fallback language; NULL when neither has it. Owned by t.
 */
const char *ptl_i18n_get(const struct ptl_i18n *t, const char *lang,
			 const char *ns, const char *key)
    __attribute__((nonnull(1, 3, 4)));

/* How many languages t holds, and the folder name of the i-th (in byte
 * order of the names; NULL past the end). Owned by t. */
size_t ptl_i18n_count(const struct ptl_i18n *t) __attribute__((nonnull));
const char *ptl_i18n_lang(const struct ptl_i18n *t, size_t i)
    __attribute__((nonnull));

/* The fallback language's folder name. Owned by t. */
const char *ptl_i18n_fallback(const struct ptl_i18n *t)
    __attribute__((nonnull, returns_nonnull));

#endif
