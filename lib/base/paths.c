/* SPDX-License-Identifier: ISC */
/*
 * paths: see paths.h. The mark is read through /proc/self/exe (Linux): a
 * program started through a symbolic link is judged by where the real file
 * lives.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dirs.h"
#include "base/paths.h"

/* Folders above the executable's own that may hold the mark: the programs
 * of a build tree are at its top (authportal), one folder down (cgi-bin/)
 * or two (tests/unit/). */
#define MARK_DEPTH 3

static bool looked_up;
static char source_tree[PATH_MAX];
static char mail_dir[PATH_MAX];

/* Cuts path after its last '/' but one: "/a/b/c" -> "/a/b". false when
 * nothing is left. */
static bool
cut_last(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path)
		return false;
	*slash = '\0';
	return true;
}

/* The first line of dir/PTL_PATHS_BUILD_MARK into out when it names an
 * existing folder by an absolute path. */
static bool
read_mark(const char *dir, char *out, size_t size)
{
	char file[PATH_MAX];
	struct stat st;
	FILE *f;
	bool good;
	int n = snprintf(file, sizeof(file), "%s/%s", dir,
			 PTL_PATHS_BUILD_MARK);

	if (n < 0 || (size_t)n >= sizeof(file))
		return false;
	f = fopen(file, "re");
	if (f == NULL)
		return false;
	good = fgets(out, (int)size, f) != NULL;
	(void)fclose(f);
	if (!good)
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] == '/' && stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
look_up(void)
{
	char dir[PATH_MAX];
	ssize_t len;
	int depth;

	looked_up = true;
	len = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (len <= 0)
		return;
	dir[len] = '\0';
	for (depth = 0; depth < MARK_DEPTH && cut_last(dir); depth++) {
		if (read_mark(dir, source_tree, sizeof(source_tree)))
			return;
	}
	source_tree[0] = '\0';
}

const char *
ptl_paths_source_tree(void)
{
	if (!looked_up)
		look_up();
	return source_tree[0] != '\0' ? source_tree : NULL;
}

const char *
ptl_paths_env_file(void)
{
	return ptl_paths_source_tree() != NULL ? ".env" : PTL_DIRS_ENV_FILE;
}

const char *
ptl_paths_database(void)
{
	return ptl_paths_source_tree() != NULL ? "var/authportal.db"
					       : PTL_DIRS_DATABASE;
}

const char *
ptl_paths_files(void)
{
	return ptl_paths_source_tree() != NULL ? "var/files" : PTL_DIRS_FILES;
}

/* The templates in mail/ beside the running program, when its folder has
 * them: the shared-host bundle keeps them next to its programs, where no
 * installed folder exists, and its admin tool runs from any directory.
 * NULL otherwise. */
static const char *
beside_program(void)
{
	static char beside[PATH_MAX];
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	if (!cut_last(exe) ||
	    snprintf(beside, sizeof(beside), "%s/mail", exe) >=
		    (int)sizeof(beside) ||
	    snprintf(probe, sizeof(probe), "%s/activation.html", beside) >=
		    (int)sizeof(probe))
		return NULL;
	return access(probe, R_OK) == 0 ? beside : NULL;
}

const char *
ptl_paths_mail_templates(void)
{
	const char *src = ptl_paths_source_tree();
	const char *beside;
	int n;

	if (src == NULL) {
		if (access(PTL_DIRS_MAIL "/activation.html", R_OK) == 0)
			return PTL_DIRS_MAIL;
		beside = beside_program();
		return beside != NULL ? beside : PTL_DIRS_MAIL;
	}
	if (mail_dir[0] == '\0') {
		n = snprintf(mail_dir, sizeof(mail_dir), "%s/mail", src);
		if (n < 0 || (size_t)n >= sizeof(mail_dir))
			return PTL_DIRS_MAIL;
	}
	return mail_dir;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The i18n/ folder beside the running program, or NULL. */
static const char *
i18n_beside_program(void)
{
	static char beside[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	if (!cut_last(exe) ||
	    snprintf(beside, sizeof(beside), "%s/i18n", exe) >=
		    (int)sizeof(beside))
		return NULL;
	return is_dir(beside) ? beside : NULL;
}

const char *
ptl_paths_i18n(void)
{
	static char i18n_dir[PATH_MAX];
	const char *src = ptl_paths_source_tree();
	const char *beside;
	int n;

	if (src == NULL) {
		if (is_dir(PTL_DIRS_I18N))
			return PTL_DIRS_I18N;
		beside = i18n_beside_program();
		return beside != NULL ? beside : PTL_DIRS_I18N;
	}
	if (i18n_dir[0] == '\0') {
		n = snprintf(i18n_dir, sizeof(i18n_dir), "%s/i18n", src);
		if (n < 0 || (size_t)n >= sizeof(i18n_dir))
			return PTL_DIRS_I18N;
	}
	return i18n_dir;
}

/* account-pages/ beside the running program when it holds the layout
 * (the shared-host bundle, where "pages" is the executable), else NULL. */
static const char *
pages_beside_program(void)
{
	static char beside[PATH_MAX];
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	if (!cut_last(exe) ||
	    snprintf(beside, sizeof(beside), "%s/account-pages", exe) >=
		    (int)sizeof(beside) ||
	    snprintf(probe, sizeof(probe), "%s/templates/layout.html",
		     beside) >= (int)sizeof(probe))
		return NULL;
	return access(probe, R_OK) == 0 ? beside : NULL;
}

const char *
ptl_paths_openapi(void)
{
	static char doc[PATH_MAX], beside[PATH_MAX];
	const char *src = ptl_paths_source_tree();
	char exe[PATH_MAX];
	ssize_t len;
	int n;

	if (src != NULL) {
		n = snprintf(doc, sizeof(doc), "%s/docs/openapi.json", src);
		return n > 0 && (size_t)n < sizeof(doc) ? doc
							 : PTL_DIRS_OPENAPI;
	}
	if (access(PTL_DIRS_OPENAPI, R_OK) == 0)
		return PTL_DIRS_OPENAPI;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return PTL_DIRS_OPENAPI;
	exe[len] = '\0';
	if (!cut_last(exe) ||
	    snprintf(beside, sizeof(beside), "%s/openapi.json", exe) >=
		    (int)sizeof(beside))
		return PTL_DIRS_OPENAPI;
	return access(beside, R_OK) == 0 ? beside : PTL_DIRS_OPENAPI;
}

const char *
ptl_paths_pages(void)
{
	static char pages_dir[PATH_MAX];
	const char *src = ptl_paths_source_tree();
	const char *beside;
	int n;

	if (src == NULL) {
		if (access(PTL_DIRS_PAGES "/templates/layout.html", R_OK) == 0)
			return PTL_DIRS_PAGES;
		beside = pages_beside_program();
		return beside != NULL ? beside : PTL_DIRS_PAGES;
	}
	if (pages_dir[0] == '\0') {
		n = snprintf(pages_dir, sizeof(pages_dir), "%s/pages", src);
		if (n < 0 || (size_t)n >= sizeof(pages_dir))
			return PTL_DIRS_PAGES;
	}
	return pages_dir;
}
