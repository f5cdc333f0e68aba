/* SPDX-License-Identifier: ISC */
/*
 * sqldump: prints the statement table of lib/adapters/db_sql.c and the
 * embedded migration sequences, for tests/tools/pgsql-check. Never
 * installed. One line a statement:
 *
 *   NAME <TAB> COLUMN,COLUMN,... <TAB> POSTGRESQL TEXT <TAB> SQLITE TEXT
 *
 * the PostgreSQL text being .pg, or .sql with each ?N rewritten $N outside
 * quoted strings and names (what the PostgreSQL engine prepares); then one
 * line a
 * migration, `migration <TAB> sqlite|pg <TAB> VERSION <TAB> NAME`.
 * Exits 1 when a text holds a tab or a newline (it could not be printed
 * on one line) or a ? is left in a PostgreSQL text.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "adapters/db.h"
#include "adapters/db_sql.h"

/* Writes sql to out with ?N as $N; quoted '...' and "..." are copied as
 * they are. Returns 0, or 1 when a ? that is no parameter is left. */
static int
put_pg(const char *sql, FILE *out)
{
	char quote = 0;
	const char *p;

	for (p = sql; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			if (p[1] < '0' || p[1] > '9')
				return 1;
			(void)fputc('$', out);
			continue;
		}
		(void)fputc(*p, out);
	}
	return 0;
}

static int
one_line(const char *s)
{
	return s == NULL || strpbrk(s, "\t\n\r") == NULL;
}

int
main(void)
{
	int bad = 0;
	unsigned i, c;

	for (i = 0; i < PTL_Q__MAX; i++) {
		const struct ptl_db_sql *q = &ptl_db_sql[i];

		if (q->name == NULL || q->sql == NULL || !one_line(q->sql) ||
		    !one_line(q->pg)) {
			(void)fprintf(stderr,
				      "sqldump: statement %u: no name, "
				      "no text, or not one line\n",
				      i);
			bad = 1;
			continue;
		}
		(void)printf("%s\t", q->name);
		for (c = 0; c < q->ncols; c++)
			(void)printf("%s%s", c > 0 ? "," : "", q->cols[c]);
		(void)fputc('\t', stdout);
		if (put_pg(q->pg != NULL ? q->pg : q->sql, stdout) != 0) {
			(void)fprintf(stderr,
				      "sqldump: %s: a ? in its "
				      "PostgreSQL text\n",
				      q->name);
			bad = 1;
		}
		(void)printf("\t%s\n", q->sql);
	}
	for (i = 0; i < ptl_migrations_len; i++)
		(void)printf("migration\tsqlite\t%u\t%s\n",
			     ptl_migrations[i].version, ptl_migrations[i].name);
	for (i = 0; i < ptl_migrations_pg_len; i++)
		(void)printf("migration\tpg\t%u\t%s\n",
			     ptl_migrations_pg[i].version,
			     ptl_migrations_pg[i].name);
	if (fflush(stdout) != 0)
		bad = 1;
	return bad;
}
