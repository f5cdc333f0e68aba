/* SPDX-License-Identifier: ISC */
/* device: see device.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/crypto.h"
#include "base/str.h"
#include "domain/device.h"

#define MAC_HEX (2 * PTL_CRYPTO_DIGEST_LEN)
#define EXP_DIGITS_MAX 12

/* The MAC of (expiry, id, email), in hex (MAC_HEX + 1 bytes). The fields
 * before the email are digits and hex: the message cannot be read two
 * ways. */
static void
mac_hex(const struct ptl_app *app, struct ptl_arena *a, const char *exp,
	size_t exp_len, const char *id, const char *email, char *out)
{
	unsigned char mac[PTL_CRYPTO_DIGEST_LEN];
	char *msg =
	    ptl_mem_printf(a, "authportal-device-v1\n%.*s\n%.*s\n%s",
			   (int)exp_len, exp, PTL_DEVICE_ID_HEX, id, email);

	ptl_crypto_hmac_with(mac, app->device_key, msg, strlen(msg));
	ptl_str_hex(out, mac, sizeof(mac));
}

char *
ptl_device_issue(struct ptl_arena *a, const struct ptl_app *app,
		 const char *email, int64_t now_ms)
{
	char mac[MAC_HEX + 1];
	char *id = ptl_crypto_random_hex(a, PTL_DEVICE_ID_HEX / 2);
	char *exp = ptl_mem_printf(
	    a, "%lld", (long long)((now_ms + app->cfg.device_ttl_ms) / 1000));

	mac_hex(app, a, exp, strlen(exp), id, email, mac);
	return ptl_mem_printf(a, "%s.%s.%s", exp, id, mac);
}

static bool
all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

bool
ptl_device_verify(struct ptl_arena *a, const struct ptl_app *app,
		  const char *token, const char *email, int64_t now_ms,
		  const char **id)
{
	char want[MAC_HEX + 1];
	const char *dot, *idp, *mac;
	size_t len;
	int64_t exp_s;

	*id = NULL;
	if (token == NULL)
		return false;
	len = strnlen(token, PTL_DEVICE_TOKEN_MAX + 1);
	dot = memchr(token, '.', len);
	if (len > PTL_DEVICE_TOKEN_MAX || dot == NULL ||
	    dot - token > EXP_DIGITS_MAX ||
	    (size_t)(dot - token) + 2 + PTL_DEVICE_ID_HEX + MAC_HEX != len)
		return false;
	idp = dot + 1;
	mac = idp + PTL_DEVICE_ID_HEX + 1;
	if (!ptl_str_to_i64(token, (size_t)(dot - token), 0, INT64_MAX / 1000,
			    &exp_s) ||
	    idp[PTL_DEVICE_ID_HEX] != '.' || !all_hex(idp, PTL_DEVICE_ID_HEX) ||
	    !all_hex(mac, MAC_HEX))
		return false;
	mac_hex(app, a, token, (size_t)(dot - token), idp, email, want);
	if (!ptl_crypto_equal(want, mac, MAC_HEX) || exp_s * 1000 <= now_ms)
		return false;
	*id = ptl_mem_strndup(a, idp, PTL_DEVICE_ID_HEX);
	return true;
}
