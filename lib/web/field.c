/* SPDX-License-Identifier: ISC */
/*
 * field: see field.h. The messages are class-validator's, which the
 * reference's ValidationPipe returns; several failures of one field are
 * joined with ", " (ptl_resp_error).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/json.h"
#include "base/email.h"
#include "base/utf8.h"
#include "web/field.h"

/* Of any text value but a password (API.md §10.13). */
#define FIELD_MAX_BYTES 1024

static void
check_rule(struct ptl_req *req, struct ptl_resp *resp,
	   const struct ptl_field *f, enum ptl_rule rule,
	   const struct ptl_value *v, enum ptl_json_type type)
{
	const struct ptl_cfg *cfg = &req->app->cfg;
	struct ptl_arena *a = req->arena;

	switch (rule) {
	case PTL_RULE_NOT_EMPTY:
		if (type == PTL_JSON_ABSENT || type == PTL_JSON_NULL ||
		    (v->s != NULL && v->len == 0))
			ptl_resp_error(
			    resp, f->name,
			    f->custom_msg != NULL
				? f->custom_msg
				: ptl_mem_printf(a, "%s should not be empty",
						 f->name));
		break;
	case PTL_RULE_EMAIL:
		if (type != PTL_JSON_STRING ||
		    !ptl_email_deliverable(v->s, v->len))
			ptl_resp_error(
			    resp, f->name,
			    ptl_mem_printf(a, "%s must be an email", f->name));
		break;
	case PTL_RULE_PASSWORD:
		if (type != PTL_JSON_STRING ||
		    ptl_utf8_length(v->s, v->len) < cfg->password_min_len)
			ptl_resp_error(
			    resp, f->name,
			    ptl_mem_printf(a,
					   "%s must be longer than or "
					   "equal to %zu characters",
					   f->name, cfg->password_min_len));
		else if (v->len > cfg->password_max_len)
			ptl_resp_error(
			    resp, f->name,
			    ptl_mem_printf(a,
					   "%s must be shorter than "
					   "or equal to %zu characters",
					   f->name, cfg->password_max_len));
		break;
	case PTL_RULE_END:
		break;
	}
}

/* Reads one field into v as text, normalising emails. */
static enum ptl_json_type
field_value(struct ptl_req *req, const struct ptl_field *f, struct ptl_value *v)
{
	const struct ptl_json *j = ptl_json_get(req->json, f->name);
	enum ptl_json_type type = ptl_json_type(j);

	memset(v, 0, sizeof(*v));
	if (f->flags & PTL_FIELD_OBJECT_ID) {
		/* Only an object's id; any other value has none (v->s NULL). */
		const struct ptl_json *id =
		    type == PTL_JSON_OBJECT ? ptl_json_get(j, "id") : NULL;

		if (ptl_json_type(id) == PTL_JSON_STRING) {
			v->s = ptl_json_str(id, &v->len);
		} else if (ptl_json_type(id) == PTL_JSON_NUMBER) {
			v->s = ptl_json_num_text(req->arena, id);
			v->len = strlen(v->s);
		}
	} else if (type == PTL_JSON_STRING) {
		v->s = ptl_json_str(j, &v->len);
	} else if (type == PTL_JSON_NUMBER &&
		   (f->flags & (PTL_FIELD_NUMBER | PTL_FIELD_SCALAR))) {
		v->s = ptl_json_num_text(req->arena, j);
		v->len = strlen(v->s);
	} else if (type == PTL_JSON_BOOL && (f->flags & PTL_FIELD_SCALAR)) {
		v->s = ptl_json_true(j) ? "true" : "false";
		v->len = strlen(v->s);
	}
	if (v->s != NULL && (f->flags & PTL_FIELD_TRIM)) {
		/* Links copied out of mails come with line ends (API.md §4.0).
		 */
		while (v->len > 0 && strchr(" \t\r\n", v->s[0]) != NULL) {
			v->s++;
			v->len--;
		}
		while (v->len > 0 &&
		       strchr(" \t\r\n", v->s[v->len - 1]) != NULL)
			v->len--;
		v->s = ptl_mem_strndup(req->arena, v->s, v->len);
	}
	if (v->s != NULL && (f->flags & PTL_FIELD_EMAIL)) {
		size_t size = PTL_EMAIL_NORMALISED_MAX(v->len);
		char *out = ptl_mem_alloc(req->arena, size);

		v->len = ptl_email_normalise(v->s, v->len, out, size);
		v->s = out;
	}
	v->given = type != PTL_JSON_ABSENT;
	v->present = v->given && type != PTL_JSON_NULL;
	return type;
}

/* EMAIL and PASSWORD already refuse every non-string. */
static bool
has_rule(const struct ptl_field *f, enum ptl_rule rule)
{
	size_t i;

	for (i = 0; i < 3 && f->rules[i] != PTL_RULE_END; i++) {
		if (f->rules[i] == rule)
			return true;
	}
	return false;
}

static size_t
max_bytes(const struct ptl_field *f)
{
	return (f->flags & PTL_FIELD_TOKEN) ? PTL_FIELD_TOKEN_MAX
					    : FIELD_MAX_BYTES;
}

static void
validate_field(struct ptl_req *req, struct ptl_resp *resp,
	       const struct ptl_field *f, struct ptl_value *v)
{
	enum ptl_json_type type;
	size_t i;

	if (f->flags & PTL_FIELD_FILE) {
		memset(v, 0, sizeof(*v));
		v->given = v->present = req->file != NULL;
		if (req->file != NULL) {
			v->s = req->file->data;
			v->len = req->file->len;
		}
		return;
	}
	type = field_value(req, f, v);
	if (f->flags & PTL_FIELD_ANY)
		return;
	if ((f->flags & PTL_FIELD_OPTIONAL) &&
	    (type == PTL_JSON_ABSENT || type == PTL_JSON_NULL))
		return;
	for (i = 0; i < 3 && f->rules[i] != PTL_RULE_END; i++)
		check_rule(req, resp, f, f->rules[i], v, type);
	/* Anything that is still not text would reach the database as text:
	 * refuse it here (API.md §10.13). */
	if (v->present && v->s == NULL && !has_rule(f, PTL_RULE_EMAIL) &&
	    !has_rule(f, PTL_RULE_PASSWORD))
		ptl_resp_error(
		    resp, f->name,
		    ptl_mem_printf(req->arena, "%s must be a string", f->name));
	else if (v->s != NULL && v->len > max_bytes(f) &&
		 !has_rule(f, PTL_RULE_PASSWORD))
		ptl_resp_error(resp, f->name,
			       ptl_mem_printf(req->arena,
					      "%s must be shorter "
					      "than or equal to %zu characters",
					      f->name, max_bytes(f)));
}

enum ptl_err
ptl_field_validate(struct ptl_req *req, struct ptl_resp *resp,
		   const struct ptl_field *fields, size_t nfields)
{
	size_t i;

	req->vals =
	    ptl_mem_zalloc(req->arena, sizeof(*req->vals) * (nfields + 1));
	for (i = 0; i < nfields; i++)
		validate_field(req, resp, &fields[i], &req->vals[i]);
	return resp->nerrors > 0 ? PTL_ERR_VALIDATION : PTL_OK;
}
