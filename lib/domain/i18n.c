/* SPDX-License-Identifier: ISC */
/*
 * i18n: see i18n.h. The table is built once: each language's strings are
 * gathered into a staging array, sorted by (namespace, key) and copied
 * into the table's own arena, so that a look-up is a binary search and
 * nothing is allocated per request. Each file is parsed in a scratch
 * arena through the JSON adapter (its size, depth, UTF-8 and NUL checks)
 * and released before the next one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "adapters/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "domain/i18n.h"

/* Members of an Accept-Language list read (RFC 9110 §12.5.4). */
#define ACCEPT_MEMBERS_MAX 32
/* Longest header value matched: longer ones name no language. */
#define HEADER_MAX 256

struct entry {
	const char *ns;
	const char *key;
	const char *val;
};

struct lang {
	const char *tag;       /* the folder name */
	struct entry *entries; /* sorted by (ns, key) */
	size_t n;
};

struct ptl_i18n {
	struct ptl_arena *mem; /* every string and array of the table */
	struct lang langs[PTL_I18N_LANGS_MAX];
	size_t nlangs;
	const struct lang *fallback;
};

/* What one language's load works with. */
struct loader {
	struct ptl_i18n *t;
	struct ptl_arena *scratch; /* one file's text and tree */
	struct entry *staging;     /* PTL_I18N_STRINGS_MAX entries */
	size_t n;
	const char *ns;   /* table-owned */
	const char *path; /* the file, for the log */
};

/* A folder or namespace name: letters, digits, '-', '_'. */
static bool
name_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool
is_kind(const char *path, mode_t kind)
{
	struct stat sb;

	return stat(path, &sb) == 0 && (sb.st_mode & S_IFMT) == kind;
}

static int
cmp_entry(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = strcmp(a->ns, b->ns);

	return c != 0 ? c : strcmp(a->key, b->key);
}

static int
cmp_lang(const void *x, const void *y)
{
	const struct lang *a = x, *b = y;

	return strcmp(a->tag, b->tag);
}

/* Reads path (at most PTL_I18N_FILE_MAX bytes) into the scratch arena. */
static enum ptl_err
read_file(struct loader *ld, char **out, size_t *out_len)
{
	return ptl_mem_read_file(ld->scratch, "i18n", ld->path,
				 PTL_I18N_FILE_MAX, out, out_len);
}

/* Adds every string of object obj, its names prefixed by prefix ("" or
 * "a.b."), to the staging array. */
static enum ptl_err
walk(struct loader *ld, const struct ptl_json *obj, const char *prefix)
{
	const struct ptl_json *m;

	for (m = ptl_json_first(obj); m != NULL; m = ptl_json_next(m)) {
		const char *key = ptl_mem_printf(ld->scratch, "%s%s", prefix,
						 ptl_json_name(m));
		enum ptl_json_type type = ptl_json_type(m);
		size_t len;

		if (strlen(key) > PTL_I18N_KEY_MAX) {
			PTL_LOG_ERR("i18n: %s: a name longer than %d bytes",
				    ld->path, PTL_I18N_KEY_MAX);
			return PTL_ERR_INTERNAL;
		}
		if (type == PTL_JSON_OBJECT) {
			enum ptl_err e = walk(
			    ld, m, ptl_mem_printf(ld->scratch, "%s.", key));

			if (e != PTL_OK)
				return e;
			continue;
		}
		if (type != PTL_JSON_STRING) {
			PTL_LOG_ERR("i18n: %s: \"%s\" is neither a string nor "
				    "an object",
				    ld->path, key);
			return PTL_ERR_INTERNAL;
		}
		if (ld->n >= PTL_I18N_STRINGS_MAX) {
			PTL_LOG_ERR("i18n: %s: more than %d strings in one "
				    "language",
				    ld->path, PTL_I18N_STRINGS_MAX);
			return PTL_ERR_INTERNAL;
		}
		ld->staging[ld->n].ns = ld->ns;
		ld->staging[ld->n].key = ptl_mem_strdup(ld->t->mem, key);
		ld->staging[ld->n].val =
		    ptl_mem_strdup(ld->t->mem, ptl_json_str(m, &len));
		ld->n++;
	}
	return PTL_OK;
}

static enum ptl_err
load_file(struct loader *ld)
{
	struct ptl_json *root = NULL;
	const char *msg = NULL;
	char *data = NULL;
	size_t len = 0;
	enum ptl_err e = read_file(ld, &data, &len);

	if (e != PTL_OK)
		return e;
	if (ptl_json_parse(ld->scratch, data, len, &root, &msg) != PTL_OK ||
	    ptl_json_type(root) != PTL_JSON_OBJECT) {
		PTL_LOG_ERR("i18n: %s: not a JSON object of strings%s%s",
			    ld->path, msg != NULL ? ": " : "",
			    msg != NULL ? msg : "");
		return PTL_ERR_INTERNAL;
	}
	return walk(ld, root, "");
}

/* Loads the <ns>.json files of folder dir/<l->tag> into l. */
static enum ptl_err
load_lang(struct loader *ld, const char *dir, struct lang *l)
{
	const char *folder = ptl_mem_printf(ld->scratch, "%s/%s", dir, l->tag);
	DIR *d = opendir(folder);
	struct dirent *de;
	enum ptl_err e = PTL_OK;
	size_t files = 0, i;

	if (d == NULL) {
		PTL_LOG_ERR("i18n: cannot read %s: %s", folder,
			    strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	ld->n = 0;
	for (de = readdir(d); e == PTL_OK && de != NULL; de = readdir(d)) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0 ||
		    !name_ok(de->d_name, len - 5, PTL_I18N_KEY_MAX))
			continue;
		ld->path =
		    ptl_mem_printf(ld->scratch, "%s/%s", folder, de->d_name);
		if (!is_kind(ld->path, S_IFREG))
			continue;
		if (++files > PTL_I18N_FILES_MAX) {
			PTL_LOG_ERR("i18n: %s: more than %d files", folder,
				    PTL_I18N_FILES_MAX);
			e = PTL_ERR_INTERNAL;
			break;
		}
		ld->ns = ptl_mem_strndup(ld->t->mem, de->d_name, len - 5);
		e = load_file(ld);
	}
	(void)closedir(d);
	if (e != PTL_OK)
		return e;
	qsort(ld->staging, ld->n, sizeof(*ld->staging), cmp_entry);
	for (i = 1; i < ld->n; i++) {
		if (cmp_entry(&ld->staging[i - 1], &ld->staging[i]) == 0) {
			PTL_LOG_ERR("i18n: %s/%s.json: \"%s\" is given twice",
				    folder, ld->staging[i].ns,
				    ld->staging[i].key);
			return PTL_ERR_INTERNAL;
		}
	}
	l->n = ld->n;
	l->entries =
	    ptl_mem_alloc(ld->t->mem, (ld->n + 1) * sizeof(*l->entries));
	memcpy(l->entries, ld->staging, ld->n * sizeof(*l->entries));
	return PTL_OK;
}

/* Lists the language folders of dir into t->langs, sorted. */
static enum ptl_err
list_langs(struct ptl_i18n *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t i, j;

	if (d == NULL) {
		PTL_LOG_ERR("i18n: cannot read the message files in %s "
			    "(APP_I18N_DIR): %s",
			    dir, strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		const char *path;

		if (de->d_name[0] == '.' ||
		    !name_ok(de->d_name, strlen(de->d_name), PTL_I18N_TAG_MAX))
			continue;
		path = ptl_mem_printf(t->mem, "%s/%s", dir, de->d_name);
		if (!is_kind(path, S_IFDIR))
			continue;
		if (t->nlangs == PTL_I18N_LANGS_MAX) {
			(void)closedir(d);
			PTL_LOG_ERR("i18n: %s: more than %d languages", dir,
				    PTL_I18N_LANGS_MAX);
			return PTL_ERR_INTERNAL;
		}
		t->langs[t->nlangs++].tag = ptl_mem_strdup(t->mem, de->d_name);
	}
	(void)closedir(d);
	qsort(t->langs, t->nlangs, sizeof(t->langs[0]), cmp_lang);
	for (i = 0; i < t->nlangs; i++) {
		for (j = i + 1; j < t->nlangs; j++) {
			if (strcasecmp(t->langs[i].tag, t->langs[j].tag) != 0)
				continue;
			PTL_LOG_ERR("i18n: %s: the folders %s and %s differ "
				    "only in case",
				    dir, t->langs[i].tag, t->langs[j].tag);
			return PTL_ERR_INTERNAL;
		}
	}
	return PTL_OK;
}

/* The shipped language named tag ignoring case, or NULL. */
static const struct lang *
find_lang(const struct ptl_i18n *t, const char *tag, size_t len)
{
	size_t i;

	for (i = 0; i < t->nlangs; i++) {
		if (strlen(t->langs[i].tag) == len &&
		    strncasecmp(t->langs[i].tag, tag, len) == 0)
			return &t->langs[i];
	}
	return NULL;
}

static void
log_no_fallback(const struct ptl_i18n *t, const char *dir, const char *fallback)
{
	char list[PTL_I18N_LANGS_MAX * (PTL_I18N_TAG_MAX + 2) + 1];
	size_t i, used = 0;

	list[0] = '\0';
	for (i = 0; i < t->nlangs; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i > 0 ? ", " : "", t->langs[i].tag);

		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	PTL_LOG_ERR("setting APP_FALLBACK_LANGUAGE: \"%s\" is not a shipped "
		    "language (the folders of %s: %s)",
		    fallback, dir, t->nlangs > 0 ? list : "none");
}

static enum ptl_err
load_all(struct ptl_i18n *t, const char *dir, const char *fallback)
{
	struct loader ld = {.t = t};
	enum ptl_err e = list_langs(t, dir);
	size_t i;

	if (e != PTL_OK)
		return e;
	t->fallback = find_lang(t, fallback, strlen(fallback));
	if (t->fallback == NULL) {
		log_no_fallback(t, dir, fallback);
		return PTL_ERR_INTERNAL;
	}
	ld.scratch = ptl_mem_new();
	ld.staging =
	    ptl_mem_xmalloc(PTL_I18N_STRINGS_MAX * sizeof(*ld.staging));
	for (i = 0; i < t->nlangs && e == PTL_OK; i++) {
		e = load_lang(&ld, dir, &t->langs[i]);
		ptl_mem_reset(ld.scratch);
	}
	free(ld.staging);
	ptl_mem_free(ld.scratch);
	return e;
}

enum ptl_err
ptl_i18n_load(struct ptl_i18n **out, const char *dir, const char *fallback)
{
	struct ptl_i18n *t = ptl_mem_xmalloc(sizeof(*t));
	enum ptl_err e;

	memset(t, 0, sizeof(*t));
	t->mem = ptl_mem_new();
	e = load_all(t, dir, fallback);
	if (e != PTL_OK) {
		ptl_i18n_free(t);
		return e;
	}
	*out = t;
	return PTL_OK;
}

void
ptl_i18n_free(struct ptl_i18n *t)
{
	if (t == NULL)
		return;
	ptl_mem_free(t->mem);
	free(t);
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The shipped language for tag s[0..len) (spaces around it ignored), as
 * its full form or cut before a last '-' or '_' (API.md §12.1), or
 * NULL. */
static const struct lang *
match(const struct ptl_i18n *t, const char *s, size_t len)
{
	while (len > 0 && is_ows(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	if (len > HEADER_MAX)
		return NULL;
	while (len > 0) {
		const struct lang *l = find_lang(t, s, len);

		if (l != NULL)
			return l;
		while (len > 0 && s[len - 1] != '-' && s[len - 1] != '_')
			len--;
		if (len > 0)
			len--; /* the separator */
	}
	return NULL;
}

/* Parses the weight of an Accept-Language member, p[0..len) being what
 * follows its range (RFC 9110 §12.4.2: OWS ";" OWS "q=" qvalue, where
 * qvalue is 0[.ddd] or 1[.000]), into *q in thousandths. An empty p is
 * q=1. false for anything else. */
static bool
parse_weight(const char *p, size_t len, int *q)
{
	size_t i = 0, digits = 0;
	int v;

	*q = 1000;
	while (i < len && is_ows(p[i]))
		i++;
	if (i == len)
		return true;
	if (p[i++] != ';')
		return false;
	while (i < len && is_ows(p[i]))
		i++;
	if (len - i < 3 || (p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=' ||
	    (p[i + 2] != '0' && p[i + 2] != '1'))
		return false;
	v = (p[i + 2] - '0') * 1000;
	i += 3;
	if (i < len && p[i] == '.') {
		int scale = 100;

		for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
			if (++digits > 3)
				return false;
			v += (p[i] - '0') * scale;
			scale /= 10;
		}
	}
	while (i < len && is_ows(p[i]))
		i++;
	if (i != len || v > 1000)
		return false;
	*q = v;
	return true;
}

/* The shipped language that an Accept-Language list prefers, or NULL. */
static const struct lang *
from_accept(const struct ptl_i18n *t, const char *list)
{
	const struct lang *best = NULL;
	int best_q = 0, members = 0;
	const char *p = list;

	while (*p != '\0' && members++ < ACCEPT_MEMBERS_MAX) {
		size_t len = strcspn(p, ",");
		size_t range = strcspn(p, ",;");
		const struct lang *l;
		int q;

		if (parse_weight(p + range, len - range, &q) && q > best_q) {
			l = match(t, p, range);
			if (l != NULL) {
				best = l;
				best_q = q;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return best;
}

const char *
ptl_i18n_pick(const struct ptl_i18n *t, const char *header,
	      const char *accept_language)
{
	const struct lang *l = NULL;

	if (header != NULL)
		l = match(t, header, strlen(header));
	if (l == NULL && accept_language != NULL)
		l = from_accept(t, accept_language);
	return (l != NULL ? l : t->fallback)->tag;
}

static const char *
lookup(const struct lang *l, const char *ns, const char *key)
{
	const struct entry want = {.ns = ns, .key = key};
	const struct entry *hit =
	    bsearch(&want, l->entries, l->n, sizeof(*l->entries), cmp_entry);

	return hit != NULL ? hit->val : NULL;
}

const char *
ptl_i18n_get(const struct ptl_i18n *t, const char *lang, const char *ns,
	     const char *key)
{
	const struct lang *l =
	    lang != NULL ? find_lang(t, lang, strlen(lang)) : NULL;
	const char *v = NULL;

	if (l != NULL)
		v = lookup(l, ns, key);
	if (v == NULL && l != t->fallback)
		v = lookup(t->fallback, ns, key);
	return v;
}

const char *
ptl_i18n_fallback(const struct ptl_i18n *t)
{
	return t->fallback->tag;
}

size_t
ptl_i18n_count(const struct ptl_i18n *t)
{
	return t->nlangs;
}

const char *
ptl_i18n_lang(const struct ptl_i18n *t, size_t i)
{
	return i < t->nlangs ? t->langs[i].tag : NULL;
}
