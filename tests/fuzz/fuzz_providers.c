/*
 * libFuzzer target: every provider's listing and lookup parsers and the
 * error classifier, over arbitrary bodies.  The first byte picks the
 * provider and the HTTP status; the rest is the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "config.h"
#include "provider.h"
#include "task.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input with one provider. */
/* A table that holds every record whose digest is odd. */
static int
fuzz_known_cb(void *arg, const struct task *t)
{
	return t->id != NULL && (t->digest & 1) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *clusters[] = { "c1", "c2" };
	static char *actions[] = { "SNAPSHOTTING", "RESIZE_FAILURE" };
	static const long statuses[] = { 200, 404, 400, 401, 403, 407, 429,
		500 };
	struct config_account acct;
	struct config_watch watch;
	struct provider_ctx ctx;
	struct provider_cursor cur;
	struct task_list tl = { NULL, 0, 0 };
	struct task t;
	const struct provider *p;
	char *cause = NULL, *msg = NULL;
	long status;
	int found = 0;

	if (size < 1)
		return 0;
	memset(&acct, 0, sizeof(acct));
	memset(&watch, 0, sizeof(watch));
	acct.name = "fuzz";
	acct.region = "cn-north-4";
	acct.project_id = "p";
	watch.name = "w";
	watch.account = &acct;
	watch.api = (enum config_api)(data[0] % CONFIG_API_COUNT);
	watch.clusters.v = clusters;
	watch.clusters.n = 2;
	watch.actions.v = actions;
	watch.actions.n = 2;
	watch.lookback_ms = 86400000;
	memset(&ctx, 0, sizeof(ctx));
	ctx.watch = &watch;
	ctx.account = &acct;
	ctx.now_ms = 1747645200000LL;
	/* Half the records "known": the unchanged path is fuzzed too. */
	ctx.known = fuzz_known_cb;
	status = statuses[(data[0] >> 4) % 8];
	p = provider_find(watch.api);
	memset(&cur, 0, sizeof(cur));
	if (p->list_parse(&ctx, status, (const char *)data + 1, size - 1, &tl,
		&cur, &cause) == -1)
		free(cause);
	task_list_clear(&tl);
	if (p->lookup_parse != NULL) {
		cause = NULL;
		task_init(&t);
		if (p->lookup_parse(&ctx, status, (const char *)data + 1,
			size - 1, &found, &t, &cause) == -1)
			free(cause);
		task_clear(&t);
	}
	apierr_classify(status, (const char *)data + 1, size - 1, &msg);
	free(msg);
	return 0;
}
