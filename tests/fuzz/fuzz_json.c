/*
 * libFuzzer target: the JSON adapter.  Parse, dump, re-parse the dump, and
 * decode every string value as nested JSON the way providers do (DWS detail,
 * E-HPC Result/Errors/Request).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode string values as JSON, two levels deep at most. */
static void
fuzz_nested(const struct json *v, int level)
{
	struct json *inner;
	const char *s;
	char *cause = NULL;
	size_t i;

	if (level > 2)
		return;
	if ((s = json_str(v)) != NULL) {
		inner = json_parse(s, strlen(s), &cause);
		free(cause);
		fuzz_nested(inner, level + 1);
		json_free(inner);
		return;
	}
	for (i = 0; i < json_len(v); i++)
		fuzz_nested(json_at(v, i), level);
}

/* Parse one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *root, *again;
	struct json_writer *w;
	char *cause = NULL, *dump;
	size_t len;

	root = json_parse((const char *)data, size, &cause);
	free(cause);
	if (root == NULL)
		return 0;
	dump = json_dump(root, &len);
	cause = NULL;
	if ((again = json_parse(dump, len, &cause)) == NULL)
		abort(); /* what we write must parse */
	json_free(again);
	w = json_writer_new();
	json_w_value(w, root);
	json_writer_free(w);
	fuzz_nested(root, 0);
	free(dump);
	json_free(root);
	return 0;
}
