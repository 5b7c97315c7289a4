/*
 * bench/durations: what the learned task durations (src/durations.c) cost.
 * Offers 100,000 keys of the daemon's form (account, API, type, cluster),
 * 20 durations each, to a table bounded at its default 10,000 keys, and
 * prints key=value lines for bench/run: the bytes one key takes by the
 * module's own count, the resident memory the full table adds (from
 * /proc/self/statm), the keys kept, the time per add, and the size and
 * time of its JSON form (saved in the task table's header).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durations.h"

#define BENCH_OFFERED 100000
#define BENCH_PER_KEY 20

/* Resident bytes of this process. */
static long
bench_rss(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long size = 0, rss = 0;

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%ld %ld", &size, &rss) != 2)
		rss = -1;
	fclose(fp);
	return rss < 0 ? -1 : rss * 4096;
}

/* Nanoseconds of the monotonic clock. */
static int64_t
bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Offer the keys, print the figures. */
int
main(void)
{
	struct durations *d;
	char key[128], *json;
	long rss0, rss1;
	int64_t t0, t1, t2;
	size_t i, j, keylen = 0;
	uint64_t adds = 0;

	rss0 = bench_rss();
	d = durations_new(0);
	t0 = bench_ns();
	for (i = 0; i < BENCH_OFFERED; i++) {
		snprintf(key, sizeof(key),
		    "hw-prod\037dws.actions\037SNAPSHOTTING\037"
		    "c%08zx-5c2d-4b6e-9f3a-0123456789ab",
		    i);
		keylen = strlen(key);
		for (j = 0; j < BENCH_PER_KEY; j++, adds++)
			durations_add(
			    d, key, (int64_t)(600 + (i * 7 + j * 131) % 3000));
	}
	t1 = bench_ns();
	rss1 = bench_rss();
	json = durations_json(d);
	t2 = bench_ns();
	printf("dur_offered=%d\n", BENCH_OFFERED);
	printf("dur_kept=%zu\n", durations_count(d));
	printf("dur_key_len=%zu\n", keylen);
	printf("dur_key_bytes=%zu\n", durations_key_bytes(keylen));
	printf("dur_rss_kib=%ld\n", (rss1 - rss0) / 1024);
	printf(
	    "dur_rss_per_key=%ld\n", (rss1 - rss0) / (long)durations_count(d));
	printf("dur_add_ns=%lld\n", (long long)((t1 - t0) / (int64_t)adds));
	printf("dur_json_bytes=%zu\n", strlen(json));
	printf("dur_json_ms=%lld\n", (long long)((t2 - t1) / 1000000));
	free(json);
	durations_free(d);
	return 0;
}
