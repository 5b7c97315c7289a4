/*
 * libFuzzer target: templates.  The first byte picks the escaping, the
 * rest is the template; what compiles is rendered against a fixed event
 * document.  Any input must compile or fail with a message, never crash,
 * hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evt.h"
#include "json.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char doc_text[] =
    "{\"id\":\"e1\",\"event\":\"transition\",\"severity\":\"error\","
    "\"task\":{\"id\":\"t/1\",\"type\":\"X\",\"progress\":40,\"reason\":"
    "\"a\\\"b\\u0001\",\"detail\":{\"k\":[1,{\"v\":null}]}},\"missed\":true,"
    "\"previous\":null}";

/* Compile one input and render it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json *doc;
	struct template *t;
	char *cause = NULL, *out;

	if (doc == NULL &&
	    (doc = json_parse(doc_text, strlen(doc_text), &cause)) == NULL)
		abort();
	if (size == 0)
		return 0;
	t = template_compile((const char *)data + 1, size - 1,
	    (enum template_escape)(data[0] % 4),
	    (data[0] & 4) ? evt_doc_field : NULL, &cause);
	if (t == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	out = template_render(t, doc, NULL);
	free(out);
	template_free(t);
	return 0;
}
