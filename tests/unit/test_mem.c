/* SPDX-License-Identifier: ISC */
/*
 * test_mem: lib/base/mem.c, the per-request arena: allocation, alignment,
 * growth past a chunk, deferred destructors in reverse order, and that a
 * reset leaves no secret behind (issue 7 point 6): the kept first chunk
 * reads as zeros afterwards, and no block that is freed still holds one.
 * The same holds for cJSON's trees (lib/adapters/json.c routes cJSON's
 * allocations through a wiping free) and for the cache of verified access
 * tokens (lib/domain/token.c).
 *
 * Freed blocks are inspected by linking with -Wl,--wrap=free: every free()
 * of the project's own objects comes here first (the libraries' own calls
 * do not, which is why cJSON's must go through json.c to be seen at all).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "fixture.h"
#include "adapters/json.h"
#include "base/mem.h"
#include "domain/token.h"
#include "tap.h"

#define MARK "S3CRET-Pa55w0rd-marker"

void __real_free(void *p);
void __wrap_free(void *p);

/* What the wrapper saw since the last watch_start(). */
static struct {
	bool on;
	size_t freed;      /* blocks */
	size_t big;        /* blocks of at least 64 KiB */
	size_t marked;     /* blocks that still held MARK or needle */
	const char *needle;
} watch;

static bool
holds(const unsigned char *p, size_t n, const char *s)
{
	size_t len = strlen(s);

	return n >= len && memmem(p, n, s, len) != NULL;
}

void
__wrap_free(void *p)
{
	if (p != NULL && watch.on) {
		size_t n = malloc_usable_size(p);

		watch.freed++;
		if (n >= 64 * 1024)
			watch.big++;
		if (holds(p, n, MARK) ||
		    (watch.needle != NULL && holds(p, n, watch.needle)))
			watch.marked++;
	}
	__real_free(p);
}

static void
watch_start(const char *needle)
{
	memset(&watch, 0, sizeof(watch));
	watch.needle = needle;
	watch.on = true;
}

static void
watch_stop(void)
{
	watch.on = false;
}

static int order[4];
static int norder;

static void
note(void *p)
{
	order[norder++] = *(int *)p;
}

static void
test_alloc(void)
{
	struct ptl_arena *a = ptl_mem_new();
	static int one = 1, two = 2, three = 3;
	char *s;
	void *p;
	size_t i;
	bool aligned = true;

	for (i = 1; i < 40; i++) {
		p = ptl_mem_alloc(a, i);
		aligned = aligned && ((uintptr_t)p % 16) == 0;
	}
	ok(aligned, "every allocation is 16-byte aligned");
	s = ptl_mem_printf(a, "%s-%d", "x", 42);
	is_str(s, "x-42", "printf into the arena");
	is_str(ptl_mem_strndup(a, "abcdef", 3), "abc", "strndup");
	p = ptl_mem_zalloc(a, 100000);
	ok(((unsigned char *)p)[99999] == 0, "zalloc past a chunk is zeroed");
	ok(ptl_mem_used(a) >= 100000, "used counts every chunk");
	ptl_mem_defer(a, note, &one);
	ptl_mem_defer(a, note, &two);
	ptl_mem_defer(a, note, NULL); /* a no-op */
	ptl_mem_defer(a, note, &three);
	ptl_mem_reset(a);
	ok(norder == 3 && order[0] == 3 && order[1] == 2 && order[2] == 1,
	   "destructors run once each, newest first");
	is_int((long long)ptl_mem_used(a), 0, "nothing is in use after a reset");
	ptl_mem_free(a);
	ptl_mem_free(NULL);
	ok(1, "free of NULL is a no-op");
}

/* The first chunk is kept for the next request: what a request wrote there
 * reads back as zeros (not in --enable-arena-malloc builds, where every
 * allocation is freed instead, which the next test covers). */
static void
test_reuse_wiped(void)
{
#ifdef PTL_ARENA_MALLOC
	ok(1, "# SKIP arena-malloc build: no chunk is reused");
	ok(1, "# SKIP arena-malloc build: no chunk is reused");
#else
	struct ptl_arena *a = ptl_mem_new();
	/* Two copies of MARK, each rounded up to the 16-byte alignment. */
	size_t n = 2 * ((sizeof(MARK) + 15) & ~(size_t)15), i;
	char *first, *again;
	bool zero = true;

	first = ptl_mem_strdup(a, MARK);
	(void)ptl_mem_strdup(a, MARK);
	ptl_mem_reset(a);
	again = ptl_mem_alloc(a, n);
	ok(again == first, "the first chunk is reused after a reset");
	for (i = 0; i < n; i++)
		zero = zero && again[i] == 0;
	ok(zero, "what the last request wrote there is zeros");
	ptl_mem_free(a);
#endif
}

/* Chunks freed by a reset hold no secret. */
static void
test_freed_wiped(void)
{
	struct ptl_arena *a = ptl_mem_new();
	char *big;
	int i;

	for (i = 0; i < 50; i++)
		(void)ptl_mem_strdup(a, MARK);
	big = ptl_mem_alloc(a, 80 * 1024);
	memset(big, 'x', 80 * 1024);
	memcpy(big + 1000, MARK, sizeof(MARK));
	watch_start(NULL);
	ptl_mem_reset(a);
	watch_stop();
	ok(watch.big >= 1, "a reset frees the chunk of a large allocation");
	is_int((long long)watch.marked, 0, "no freed block still holds the secret");
	ptl_mem_free(a);
}

/* A parsed body's strings live in cJSON's allocations: freed wiped. */
static void
test_json_wiped(void)
{
	static const char body[] = "{\"email\":\"a@example.com\",\"password\":\"" MARK "\"}";
	struct ptl_arena *a = ptl_mem_new();
	struct ptl_json *root;
	const char *msg;

	is_int(ptl_json_parse(a, body, strlen(body), &root, &msg), PTL_OK,
	       "a body with a password parses");
	watch_start(NULL);
	ptl_mem_reset(a);
	watch_stop();
	ok(watch.freed >= 3, "cJSON's blocks are freed through the project's free "
			     "(%zu seen)", watch.freed);
	is_int((long long)watch.marked, 0, "none of them still holds the password");
	ptl_mem_free(a);
}

/* The cache of verified access tokens is wiped when it is freed. */
static void
test_token_cache_wiped(void)
{
	struct ptl_app app;
	struct ptl_arena *a = ptl_mem_new();
	struct ptl_access acc;
	char *token = NULL, needle[33];
	int64_t exp_ms;

	fix_app_open(&app);
	is_int(ptl_token_access_issue(a, &app, 7, 2, false, 9, FIX_NOW_MS, &token,
				      &exp_ms),
	       PTL_OK, "an access token is issued");
	is_int(ptl_token_access_verify(a, &app, token, FIX_NOW_MS, &acc), PTL_OK,
	       "and verified (now in the cache)");
	ok(app.token_cache != NULL, "the cache exists");
	/* The signature part is what makes the token a secret. */
	(void)snprintf(needle, sizeof(needle), "%s", strrchr(token, '.') + 1);
	watch_start(needle);
	ptl_token_cache_free(&app);
	watch_stop();
	ok(watch.freed == 1, "the cache is one block, freed by its owner");
	is_int((long long)watch.marked, 0, "it no longer holds the token");
	ok(app.token_cache == NULL, "and is gone from the app");
	ptl_mem_free(a);
	fix_app_close(&app);
}

int
main(void)
{
	test_alloc();
	test_reuse_wiped();
	test_freed_wiped();
	test_json_wiped();
	test_token_cache_wiped();
	return done();
}
