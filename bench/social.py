# SPDX-License-Identifier: ISC
"""bench/social.py DIR POOL SUBJECTS: the identity provider of the `social`
case of script/bench.

Starts the mock provider of the integration tests
(tests/integration/mock_provider.py: real HTTP on 127.0.0.1, real RS256
with a 2048-bit key) and writes, in DIR:

  env      the app settings that point Google at it (KEY=VALUE lines)
  tokens   POOL Google ID tokens, one a line, signed by the published key,
           for SUBJECTS subjects (token i is of subject i mod SUBJECTS),
           each with its own iat and a jti, valid for an hour
  ready    written last: the mock's port

then serves until it is sent SIGTERM (script/bench reads this process's
/proc/PID/stat before and after each run, so that the provider's CPU is
counted apart from the server's).

Why a pool and not a token per request: lib/domain/social.c verifies every
ID token in full (signature under the cached JWKS, iss, aud, azp, exp, iat,
sub; nonce only in the redirect flow) and keeps no record of the tokens it
accepted, so a token can be presented again; the pool only keeps the
request from being the same bytes every time. A fresh token per request
would cost Python one RSA signature each (about 1 ms), more than the
endpoint itself.
"""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))

from mock_provider import MockProvider  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    out, pool, subjects = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mock = MockProvider().start()
    with open(os.path.join(out, "env"), "w") as f:
        for k, v in mock.settings().items():
            if k.startswith("GOOGLE_"):
                f.write("%s=%s\n" % (k, v))
    with open(os.path.join(out, "tokens"), "w") as f:
        for i in range(pool):
            sub = "bench-social-%04d" % (i % subjects)
            f.write(mock.id_token("google", sub=sub, jti="bench-%d" % i,
                                  iat=mock.claims("google")["iat"] - i % 60)
                    + "\n")
    with open(os.path.join(out, "ready"), "w") as f:
        f.write("%d\n" % mock.port)
    while True:  # until SIGTERM
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
