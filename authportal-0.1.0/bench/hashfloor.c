/* SPDX-License-Identifier: ISC */
/*
 * hashfloor: the password-hash floor of script/bench. How many Argon2id
 * verifications per second this machine does at the configured cost with
 * every core busy: one process per core, each running
 * crypto_pwhash_str_verify (the call lib/crypto.c makes on sign-in) on a
 * hash made with the server's AUTH_ARGON2_OPSLIMIT / AUTH_ARGON2_MEMLIMIT_KIB
 * for a fixed number of seconds.
 *
 * usage: bench/hashfloor [SECONDS [PROCS]]   (defaults 5, nproc)
 * Prints one line: "hashfloor procs=P seconds=S verifies=N per_s=R
 * ops=O mem_kib=M ms_per_verify=T".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : def;
}

int
main(int argc, char **argv)
{
	static const char pw[] = "secret-benchmark-password";
	char hash[crypto_pwhash_STRBYTES];
	double secs = argc > 1 ? atof(argv[1]) : 5.0;
	long procs = argc > 2 ? atol(argv[2]) : sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long ops = env_ul("AUTH_ARGON2_OPSLIMIT", 2);
	size_t mem = (size_t)env_ul("AUTH_ARGON2_MEMLIMIT_KIB", 19456) * 1024;
	int (*pipes)[2];
	unsigned long total = 0;
	double t0, elapsed;
	long i;

	if (sodium_init() < 0 || secs <= 0 || procs < 1)
		return 1;
	if (crypto_pwhash_str_alg(hash, pw, strlen(pw), ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		fprintf(stderr, "hashfloor: crypto_pwhash_str failed\n");
		return 1;
	}
	pipes = calloc((size_t)procs, sizeof(*pipes));
	if (pipes == NULL)
		return 1;
	t0 = now_s();
	for (i = 0; i < procs; i++) {
		pid_t pid;

		if (pipe(pipes[i]) != 0)
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			unsigned long n = 0;
			double end = t0 + secs;

			close(pipes[i][0]);
			while (now_s() < end) {
				if (crypto_pwhash_str_verify(hash, pw,
							     strlen(pw)) != 0)
					_exit(1);
				n++;
			}
			if (write(pipes[i][1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	for (i = 0; i < procs; i++) {
		unsigned long n = 0;

		if (read(pipes[i][0], &n, sizeof(n)) == sizeof(n))
			total += n;
		close(pipes[i][0]);
	}
	while (wait(NULL) > 0)
		;
	/* The last verification of each process ends after t0 + secs. */
	elapsed = now_s() - t0;
	printf("hashfloor procs=%ld seconds=%.2f verifies=%lu per_s=%.1f "
	       "ops=%llu mem_kib=%zu ms_per_verify=%.2f\n",
	       procs, elapsed, total, (double)total / elapsed, ops, mem / 1024,
	       total > 0 ? 1000.0 * elapsed * (double)procs / (double)total : 0.0);
	free(pipes);
	return 0;
}
