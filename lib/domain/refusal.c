/* SPDX-License-Identifier: ISC */
/* refusal: see refusal.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/refusal.h"

void
ptl_refusal_clear(struct ptl_refusal *why)
{
	memset(why, 0, sizeof(*why));
}

enum ptl_err
ptl_refusal_field(struct ptl_refusal *why, const char *field, const char *key)
{
	why->field = field;
	why->key = key;
	return PTL_ERR_VALIDATION;
}
