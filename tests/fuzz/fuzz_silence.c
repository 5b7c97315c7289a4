/*
 * libFuzzer target: silences as they come back from outside the process,
 * the file silences.json and the texts other replicas share through etcd.
 * Any input must be read or refused with a cause, never crash, hang or
 * leak; what is read is written again, matched, merged again, expired
 * and pruned.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evt.h"
#include "silence.h"
#include "task.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1767225600 /* 2026-01-01 */

/* A failed task event to match against what was read. */
static struct evt *
fuzz_event(void)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw");
	ev->has_task = 1;
	ev->task.id = xstrdup("t1");
	ev->task.type = xstrdup("RestartInstance");
	ev->task.cluster_id = xstrdup("orders-1");
	ev->task.state = TASK_FAILED;
	evt_finish(ev);
	return ev;
}

/* Use a set: write it, match, expire and prune. */
static void
fuzz_use(struct silence_set *s, const struct evt *ev)
{
	char *text;
	size_t i;

	text = silence_set_json(s);
	free(text);
	(void)silence_apply(s, ev, NOW);
	for (i = 0; i < silence_count(s); i++) {
		text = silence_share_text(s, i);
		free(text);
	}
	(void)silence_next_end(s, NOW);
	if (silence_count(s) > 0)
		(void)silence_expire(s, silence_at(s, 0)->id, NOW);
	while (silence_take_ended(s, NOW) != -1)
		;
	silence_prune(s, NOW, NOW);
}

/* Read the input both ways. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evt *ev = fuzz_event();
	struct silence_set *s;
	char *cause = NULL, *text;
	long at;

	if ((s = silence_set_from_json((const char *)data, size, &cause)) ==
	    NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	} else {
		fuzz_use(s, ev);
		silence_set_free(s);
	}
	s = silence_set_new();
	if (silence_merge(s, (const char *)data, size, NOW, &at, &cause) ==
	    SILENCE_MERGE_BAD) {
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	} else if (at >= 0) {
		/* What it shares is taken in again unchanged. */
		text = silence_share_text(s, (size_t)at);
		if (silence_merge(s, text, strlen(text), NOW, &at, &cause) !=
		    SILENCE_MERGE_SAME)
			abort();
		free(text);
		fuzz_use(s, ev);
	}
	free(cause);
	silence_set_free(s);
	evt_free(ev);
	return 0;
}
