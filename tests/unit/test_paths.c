/* SPDX-License-Identifier: ISC */
/*
 * test_paths: lib/base/paths.c. From the build tree (next to the mark that
 * make writes) the programs use the tree's settings file, database and
 * mail templates; a copy of this program outside the tree, as after make
 * install, uses configure's directories (lib/base/dirs.h) and reads no
 * file of the tree, or, with templates in a mail/ folder beside it and
 * none installed (the shared-host bundle), those. The copy runs as "test_paths --print" and prints its
 * four answers, one a line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/dirs.h"
#include "base/paths.h"
#include "tap.h"

static int
print_paths(void)
{
	const char *src = ptl_paths_source_tree();

	printf("%s\n%s\n%s\n%s\n", src != NULL ? src : "(none)",
	       ptl_paths_env_file(), ptl_paths_database(),
	       ptl_paths_mail_templates());
	return 0;
}

/* Copies the running program to dir/name (mode 0700). */
static int
copy_self(const char *to)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen("/proc/self/exe", "rb");
	FILE *out = fopen(to, "wb");
	int good = in != NULL && out != NULL;

	while (good && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		good = fwrite(buf, 1, n, out) == n;
	if (in != NULL)
		(void)fclose(in);
	if (out != NULL && fclose(out) != 0)
		good = 0;
	return good && chmod(to, 0700) == 0;
}

/* Runs prog --print; its output into out. */
static int
run_print(const char *prog, char *out, size_t size)
{
	char cmd[PATH_MAX + 16];
	FILE *p;
	size_t n;

	if (snprintf(cmd, sizeof(cmd), "'%s' --print", prog) >= (int)sizeof(cmd))
		return 0;
	p = popen(cmd, "r");
	if (p == NULL)
		return 0;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p) == 0;
}

int
main(int argc, char **argv)
{
	const char *srcdir = getenv("srcdir");
	char real_src[PATH_MAX], dir[] = "/tmp/ptl-paths-XXXXXX";
	char copy[PATH_MAX], got[4 * PATH_MAX + 8], want[4 * PATH_MAX + 8];
	char mail[PATH_MAX + 8], real_got[PATH_MAX];
	const char *src;

	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return print_paths();

	/* In the build tree: the tree's files. */
	src = ptl_paths_source_tree();
	ok(src != NULL, "a build-tree program finds its tree");
	if (srcdir == NULL || realpath(srcdir, real_src) == NULL)
		real_src[0] = '\0';
	if (src == NULL || realpath(src, real_got) == NULL)
		real_got[0] = '\0';
	is_str(real_got, real_src, "... the source tree");
	is_str(ptl_paths_env_file(), ".env", "settings file ./.env");
	is_str(ptl_paths_database(), "var/authportal.db",
	       "database var/authportal.db");
	(void)snprintf(mail, sizeof(mail), "%s/mail", src != NULL ? src : "");
	is_str(ptl_paths_mail_templates(), mail, "mail templates of the tree");

	/* A copy outside the tree: the installed places. */
	ok(mkdtemp(dir) != NULL, "a folder outside the tree");
	(void)snprintf(copy, sizeof(copy), "%s/test_paths", dir);
	got[0] = '\0';
	if (copy_self(copy))
		(void)run_print(copy, got, sizeof(got));
	(void)snprintf(want, sizeof(want), "(none)\n%s\n%s\n%s\n",
		       PTL_DIRS_ENV_FILE, PTL_DIRS_DATABASE, PTL_DIRS_MAIL);
	is_str(got, want, "installed: configure's directories, no tree");

	/* The bundle: templates beside the program, none installed. */
	{
		char tpl[PATH_MAX + 32], sub[PATH_MAX + 8];
		FILE *f;
		bool installed = access(PTL_DIRS_MAIL "/activation.html",
					R_OK) == 0;

		(void)snprintf(sub, sizeof(sub), "%s/mail", dir);
		(void)snprintf(tpl, sizeof(tpl), "%s/activation.html", sub);
		f = mkdir(sub, 0700) == 0 ? fopen(tpl, "w") : NULL;
		ok(f != NULL && fclose(f) == 0, "templates beside the copy");
		got[0] = '\0';
		(void)run_print(copy, got, sizeof(got));
		(void)snprintf(want, sizeof(want), "(none)\n%s\n%s\n%s\n",
			       PTL_DIRS_ENV_FILE, PTL_DIRS_DATABASE,
			       installed ? PTL_DIRS_MAIL : sub);
		is_str(got, want,
		       "bundle: the templates beside the program, unless "
		       "installed ones exist");
		(void)unlink(tpl);
		(void)rmdir(sub);
	}
	(void)unlink(copy);
	(void)rmdir(dir);
	return done();
}
