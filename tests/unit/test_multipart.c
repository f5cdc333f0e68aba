/* SPDX-License-Identifier: ISC */
/*
 * test_multipart: lib/web/multipart.c. The media type test; well-formed
 * bodies (one part, several, an empty part, quoted and bchar boundaries,
 * the content holding near-delimiters, a close delimiter with and without
 * its CRLF) and their names, filenames and types; and every malformation
 * refused as a whole: boundary missing, twice, too long, with a bad
 * character or a trailing space; a preamble, an epilogue, no part, no
 * closing delimiter, a bad delimiter line; part headers unterminated, over
 * PTL_MULTIPART_HEAD_MAX, without a colon, with a control byte; no or two
 * Content-Dispositions, one that is not form-data, without a name, with
 * two names, filename*; a name over PTL_MULTIPART_NAME_MAX; more parts
 * than allowed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/mem.h"
#include "web/multipart.h"
#include "tap.h"

#define CT "multipart/form-data; boundary=XyZ"

static struct ptl_arena *arena;

static enum ptl_err
parse(const char *ct, const char *body, size_t len,
      struct ptl_multipart_part *parts, size_t max, size_t *n)
{
	const char *msg = NULL;
	enum ptl_err e =
	    ptl_multipart_parse(arena, ct, body, len, parts, max, n, &msg);

	if (e != PTL_OK && msg == NULL)
		diag("an error without a message");
	return e;
}

static void
test_is(void)
{
	ok(ptl_multipart_is("multipart/form-data; boundary=x"), "media type");
	ok(ptl_multipart_is("Multipart/Form-Data;boundary=x"), "  any case");
	ok(ptl_multipart_is("multipart/form-data"), "  without parameters");
	ok(!ptl_multipart_is("multipart/form-datax"), "  not a longer one");
	ok(!ptl_multipart_is("multipart/mixed; boundary=x"), "  not mixed");
	ok(!ptl_multipart_is("application/json"), "  not JSON");
	ok(!ptl_multipart_is(NULL), "  not none");
}

static void
test_good(void)
{
	static const char one[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
	    "\x89PNG\r\n--Xy\r\n--XyY\0data\r\n--XyZ--\r\n";
	static const char two[] =
	    "--XyZ\r\ncontent-disposition: FORM-DATA;name=x\r\n\r\n\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"\"\r\nX-Other: ignored\r\n\r\nab\r\n--XyZ--";
	static const char quoted[] =
	    "--a'()+_,-./:=? b\r\nContent-Disposition: form-data; "
	    "name=\"f\"\r\n\r\nv\r\n--a'()+_,-./:=? b--\r\n";
	struct ptl_multipart_part p[4];
	size_t n = 0;

	is_int(parse(CT, one, sizeof(one) - 1, p, 4, &n), PTL_OK, "one part");
	ok(n == 1 && strcmp(p[0].name, "file") == 0 &&
	       strcmp(p[0].filename, "a.png") == 0 &&
	       strcmp(p[0].type, "image/png") == 0,
	   "  its name, filename and type");
	ok(p[0].len == 22 &&
	       memcmp(p[0].data, "\x89PNG\r\n--Xy\r\n--XyY\0data", 22) == 0,
	   "  its content, near-delimiters and a NUL included");
	is_int(parse(CT, two, sizeof(two) - 1, p, 4, &n), PTL_OK,
	       "two parts, the close delimiter without CRLF");
	ok(n == 2 && strcmp(p[0].name, "x") == 0 && p[0].filename == NULL &&
	       p[0].type == NULL && p[0].len == 0,
	   "  a token name, an empty part");
	ok(strcmp(p[1].filename, "") == 0 && p[1].len == 2 &&
	       memcmp(p[1].data, "ab", 2) == 0,
	   "  an empty filename, an unknown header ignored");
	is_int(parse("multipart/form-data; boundary=\"a'()+_,-./:=? b\"",
		     quoted, sizeof(quoted) - 1, p, 4, &n),
	       PTL_OK, "a quoted boundary of every bchar, a space inside");
	ok(n == 1 && p[0].len == 1, "  its part");
	is_int(parse("multipart/form-data; charset=utf-8; BOUNDARY=XyZ", one,
		     sizeof(one) - 1, p, 4, &n),
	       PTL_OK, "another parameter first, BOUNDARY in upper case");
}

struct bad {
	const char *what;
	const char *ct;
	const char *body;
};

static void
test_bad(void)
{
	static const char part[] = "--XyZ\r\nContent-Disposition: form-data; "
				   "name=\"file\"\r\n\r\nx\r\n";
	char big_head[PTL_MULTIPART_HEAD_MAX + 200];
	char long_name[PTL_MULTIPART_NAME_MAX + 100];
	char seventy_one[128];
	const struct bad cases[] = {
	    {"no boundary", "multipart/form-data",
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
	     "--XyZ--"},
	    {"an empty boundary", "multipart/form-data; boundary=\"\"", "--"},
	    {"two boundaries",
	     "multipart/form-data; boundary=XyZ; boundary=XyZ",
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
	     "--XyZ--"},
	    {"a boundary ending in a space",
	     "multipart/form-data; boundary=\"XyZ \"", "--XyZ --"},
	    {"a boundary with a bad char", "multipart/form-data; boundary=a<b",
	     "--a<b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
	     "--a<b--"},
	    {"a boundary parameter without =", "multipart/form-data; boundary",
	     "--"},
	    {"an unterminated quoted boundary",
	     "multipart/form-data; boundary=\"XyZ", "--XyZ--"},
	    {"an empty body", CT, ""},
	    {"a preamble", CT,
	     "hi\r\n--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	     "\r\n--XyZ--"},
	    {"the boundary as the start of a content line", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n"
	     "--XyZZ\r\n--XyZ--"},
	    {"an epilogue", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
	     "--XyZ--\r\nmore"},
	    {"two CRLFs after the close", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
	     "--XyZ--\r\n\r\n"},
	    {"no part", CT, "--XyZ--\r\n"},
	    {"no closing delimiter", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nabc"},
	    {"a delimiter without CRLF", CT,
	     "--XyZ Content-Disposition: form-data; name=a\r\n\r\n\r\n--XyZ--"},
	    {"a bare LF delimiter line", CT,
	     "--XyZ\nContent-Disposition: form-data; name=a\n\nx\n--XyZ--"},
	    {"content glued to the blank line's delimiter", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n--XyZ--"},
	    {"unterminated headers", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a"},
	    {"a header without a colon", CT,
	     "--XyZ\r\nContent-Disposition form-data\r\n\r\nx\r\n--XyZ--"},
	    {"a header with a control byte", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nx"
	     "\r\n--XyZ--"},
	    {"no Content-Disposition", CT,
	     "--XyZ\r\nContent-Type: image/png\r\n\r\nx\r\n--XyZ--"},
	    {"two Content-Dispositions", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
	     "Content-Disposition: form-data; name=b\r\n\r\nx\r\n--XyZ--"},
	    {"two Content-Types", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
	     "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\nx\r\n--XyZ--"},
	    {"not form-data", CT,
	     "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n"
	     "--XyZ--"},
	    {"form-data glued to more", CT,
	     "--XyZ\r\nContent-Disposition: form-dataX; name=a\r\n\r\nx\r\n"
	     "--XyZ--"},
	    {"no name", CT,
	     "--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n"
	     "--XyZ--"},
	    {"an empty name", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n"
	     "--XyZ--"},
	    {"two names", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n"
	     "x\r\n--XyZ--"},
	    {"two filenames", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a; filename=b; "
	     "filename=c\r\n\r\nx\r\n--XyZ--"},
	    {"filename*", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=a; "
	     "filename*=UTF-8''b\r\n\r\nx\r\n--XyZ--"},
	    {"a parameter name with a space", CT,
	     "--XyZ\r\nContent-Disposition: form-data; na me=a\r\n\r\nx\r\n"
	     "--XyZ--"},
	    {"a backslash in a quoted name", CT,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"a\\\"b\"\r\n\r\n"
	     "x\r\n--XyZ--"},
	    {"headers over the cap", CT, big_head},
	    {"a name over the cap", CT, long_name},
	    {"a boundary of 71", seventy_one, "--"},
	};
	struct ptl_multipart_part p[4];
	char many[512];
	size_t i, n, off;

	off = (size_t)snprintf(big_head, sizeof(big_head),
			       "--XyZ\r\nContent-Disposition: form-data; "
			       "name=a\r\nX-Pad: ");
	memset(big_head + off, 'p', sizeof(big_head) - off - 20);
	(void)memcpy(big_head + sizeof(big_head) - 20, "\r\n\r\nx\r\n--XyZ--",
		     15);
	off = (size_t)snprintf(long_name, sizeof(long_name),
			       "--XyZ\r\nContent-Disposition: form-data; "
			       "name=");
	memset(long_name + off, 'n', sizeof(long_name) - off - 20);
	(void)memcpy(long_name + sizeof(long_name) - 20, "\r\n\r\nx\r\n--XyZ--",
		     15);
	off = (size_t)snprintf(seventy_one, sizeof(seventy_one),
			       "multipart/form-data; boundary=");
	memset(seventy_one + off, 'b', 71);
	seventy_one[off + 71] = '\0';
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(parse(cases[i].ct, cases[i].body, strlen(cases[i].body),
			     p, 4, &n),
		       PTL_ERR_BAD_REQUEST, cases[i].what);
	is_int(parse(NULL, part, sizeof(part) - 1, p, 4, &n),
	       PTL_ERR_BAD_REQUEST, "no Content-Type");
	off = 0;
	for (i = 0; i < 5; i++) {
		memcpy(many + off, part, sizeof(part) - 1);
		off += sizeof(part) - 1;
	}
	memcpy(many + off, "--XyZ--", 7);
	off += 7;
	is_int(parse(CT, many, off, p, 4, &n), PTL_ERR_BAD_REQUEST,
	       "five parts where four are allowed");
	n = 0;
	is_int(parse(CT, many + (sizeof(part) - 1), off - (sizeof(part) - 1), p,
		     4, &n),
	       PTL_OK, "four are fine");
	is_int((int)n, 4, "  all four");
}

int
main(void)
{
	arena = ptl_mem_new();
	test_is();
	test_good();
	test_bad();
	ptl_mem_free(arena);
	return done();
}
