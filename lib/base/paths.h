/* SPDX-License-Identifier: ISC */
/*
 * paths: where a program looks for the settings file, the database and
 * the mail templates when no setting names them. An installed program uses
 * configure's directories (lib/base/dirs.h, which make writes from them):
 * $(sysconfdir)/authportal/authportal.env,
 * $(localstatedir)/lib/authportal/authportal.db, $(pkgdatadir)/mail and
 * $(pkgdatadir)/i18n. A
 * program that runs from its build tree (script/server, the tests) uses the
 * tree's: ./.env, var/authportal.db and the source tree's mail/ and i18n/.
 *
 * The build tree is told by PTL_PATHS_BUILD_MARK, a file that make writes
 * at the top of the build tree with the source tree's absolute path in it,
 * found next to the running executable or one or two folders above it. No
 * path of the build tree is compiled into a program, and make install
 * never copies the mark, so an installed program never reads the tree.
 * paths opens no other file (it only tests, with access(2), whether
 * templates are there) and touches no setting.
 */
#ifndef PTL_PATHS_H
#define PTL_PATHS_H

#include <stdbool.h>

#define PTL_PATHS_BUILD_MARK "authportal.build-tree"

/* The source tree of the build tree this program runs from, or NULL when
 * it runs installed. Process-lifetime; looked up once. */
const char *ptl_paths_source_tree(void);

/* The settings file read when ENV_FILE is unset: ".env" (the working
 * directory's) in a build tree, else the installed authportal.env. */
const char *ptl_paths_env_file(void);

/* DATABASE_PATH when unset: "var/authportal.db" in a build tree, else
 * $(localstatedir)/lib/authportal/authportal.db. */
const char *ptl_paths_database(void);

/* FILES_DIR when unset: "var/files" in a build tree, else
 * $(localstatedir)/lib/authportal/files. */
const char *ptl_paths_files(void);

/* MAIL_TEMPLATE_DIR when unset: the source tree's mail/ in a build tree,
 * else $(pkgdatadir)/mail, unless that has no templates and the folder of
 * the running program has them in mail/ (the shared-host bundle).
 * Process-lifetime. */
const char *ptl_paths_mail_templates(void);

/* APP_I18N_DIR when unset: the source tree's i18n/ in a build tree, else
 * $(pkgdatadir)/i18n, unless that is no folder and the folder of the
 * running program has an i18n/ folder (the shared-host bundle).
 * Process-lifetime. */
const char *ptl_paths_i18n(void);

/* The OpenAPI document of GET /docs-json: the source tree's
 * docs/openapi.json in a build tree, else $(pkgdatadir)/openapi.json,
 * unless that is missing and the folder of the running program has an
 * openapi.json (the shared-host bundle). Process-lifetime. */
const char *ptl_paths_openapi(void);

/* The shipped account pages (templates/ and static/ of cgi-bin/pages):
 * the source tree's pages/ in a build tree, else $(pkgdatadir)/pages,
 * unless that has no templates and the folder of the running program has
 * them in account-pages/ (the shared-host bundle). Process-lifetime. */
const char *ptl_paths_pages(void);

#endif
