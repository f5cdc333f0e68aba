/* SPDX-License-Identifier: ISC */
/* jws: see jws.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "jws.h"
#include "log.h"

struct ptl_jwt {
	jwt_t *jwt;
};

static void
free_jwt(void *p)
{
	jwt_free(p);
}

enum ptl_err
ptl_jwt_sign(struct ptl_arena *a, const char *key, size_t key_len,
	     const char *claims_json, char **token)
{
	jwt_t *jwt = NULL;
	char *out;

	if (jwt_new(&jwt) != 0)
		ptl_mem_oom();
	ptl_mem_defer(a, free_jwt, jwt);
	if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)key,
			(int)key_len) != 0 ||
	    jwt_add_grants_json(jwt, claims_json) != 0) {
		PTL_LOG_ERR("jwt: cannot build a token");
		return PTL_ERR_INTERNAL;
	}
	out = jwt_encode_str(jwt);
	if (out == NULL) {
		PTL_LOG_ERR("jwt: cannot encode a token");
		return PTL_ERR_INTERNAL;
	}
	*token = ptl_mem_strdup(a, out);
	free(out);
	return PTL_OK;
}

/* Three base64url segments, nothing else: refuse the rest before libjwt. */
static bool
well_formed(const char *t)
{
	size_t dots = 0, i;

	for (i = 0; t[i] != '\0'; i++) {
		char c = t[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (i >= PTL_JWT_MAX_LEN)
			return false;
	}
	return dots == 2 && t[0] != '.' && t[i - 1] != '.';
}

enum ptl_err
ptl_jwt_verify(struct ptl_arena *a, const char *key, size_t key_len,
	       const char *token, struct ptl_jwt **out)
{
	jwt_t *jwt = NULL;
	struct ptl_jwt *w;

	*out = NULL;
	if (!well_formed(token))
		return PTL_ERR_UNAUTHORIZED;
	if (jwt_decode(&jwt, token, (const unsigned char *)key, (int)key_len) !=
	    0)
		return PTL_ERR_UNAUTHORIZED;
	ptl_mem_defer(a, free_jwt, jwt);
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		return PTL_ERR_UNAUTHORIZED;
	w = ptl_mem_alloc(a, sizeof(*w));
	w->jwt = jwt;
	*out = w;
	return PTL_OK;
}

bool
ptl_jwt_int(struct ptl_jwt *jwt, const char *name, int64_t *out)
{
	long v;

	errno = 0;
	v = jwt_get_grant_int(jwt->jwt, name);
	if (errno != 0)
		return false;
	*out = v;
	return true;
}

const char *
ptl_jwt_str(struct ptl_jwt *jwt, const char *name)
{
	errno = 0;
	return jwt_get_grant(jwt->jwt, name);
}
