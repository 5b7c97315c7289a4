/*
 * libFuzzer target: the list-clusters parsers of discover.c over
 * arbitrary bodies.  The first byte picks the API and the HTTP status;
 * the rest is the body, parsed as up to three pages of one discovery.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input as the pages of one discovery, then match names. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 200, 200, 404, 400, 403, 429,
		500 };
	static char *globs[] = { "o-*", "[a-c]?" };
	const struct config_strlist names = { globs, 2 };
	const struct discover_api *da;
	struct discover_list l = { 0 };
	struct discover_cursor cur = { 0, 0, 0 };
	char *cause = NULL;
	size_t i;
	int page;

	if (size < 1)
		return 0;
	da = discover_find((enum config_api)(data[0] % CONFIG_API_COUNT));
	if (da == NULL)
		return 0;
	for (page = 0; page < 3 && !cur.done; page++) {
		if (discover_parse(da, statuses[(data[0] >> 4) % 8],
			(const char *)data + 1, size - 1, &l, &cur,
			&cause) == -1) {
			free(cause);
			break;
		}
	}
	for (i = 0; i < l.n; i++) {
		if (!discover_id_ok(l.v[i].id) ||
		    discover_list_find(&l, l.v[i].id) == NULL)
			abort();
		(void)discover_name_matches(&names, l.v[i].name);
	}
	discover_list_clear(&l);
	return 0;
}
