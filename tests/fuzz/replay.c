/* SPDX-License-Identifier: ISC */
/*
 * replay: runs one fuzz target (linked in) over every file of its corpus
 * and prints TAP, one test per file, so make check replays every seed and
 * every crash ever found (SQLite fuzzcheck, kcgi afl/). The corpus is
 * argv[1], else $srcdir/tests/fuzz/corpus/PTL_FUZZ_CORPUS. A crash shows
 * as the test program dying, with the last "# file" line naming the input.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "base/mem.h"

#ifndef PTL_FUZZ_CORPUS
#error "PTL_FUZZ_CORPUS names the corpus directory"
#endif

static int
not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int
main(int argc, char **argv)
{
	const char *srcdir = getenv("srcdir");
	char dir[1024], path[2048];
	struct dirent **list = NULL;
	int n, i, tests = 0, failed = 0;

	if (argc > 1)
		(void)snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		(void)snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
			       srcdir != NULL ? srcdir : ".", PTL_FUZZ_CORPUS);
	n = scandir(dir, &list, not_hidden, alphasort);
	if (n <= 0) {
		printf("not ok 1 - corpus %s has files\n1..1\n", dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct stat sb;
		FILE *f;
		unsigned char *buf;
		size_t len;

		(void)snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		printf("# file %s\n", list[i]->d_name);
		fflush(stdout);
		len = (size_t)sb.st_size;
		buf = ptl_mem_xmalloc(len + 1);
		f = fopen(path, "rb");
		tests++;
		if (f == NULL || fread(buf, 1, len, f) != len) {
			printf("not ok %d - read %s\n", tests, list[i]->d_name);
			failed++;
		} else {
			(void)LLVMFuzzerTestOneInput(buf, len);
			printf("ok %d - %s\n", tests, list[i]->d_name);
		}
		if (f != NULL)
			(void)fclose(f);
		free(buf);
		fflush(stdout);
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	printf("1..%d\n", tests);
	return failed != 0;
}
