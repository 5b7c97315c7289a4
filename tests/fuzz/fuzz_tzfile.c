/*
 * libFuzzer target: TZif files.  Any input must parse or fail with a
 * cause, never crash, hang or leak; what parses is asked for offsets,
 * civil times and local times (gaps and overlaps among them) over the
 * years a window could ask about, and a few far ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tzfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input and compute with the zone. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t far[] = { INT64_MIN, -((int64_t)1 << 59), -1, 0,
		INT32_MAX, (int64_t)1 << 40, INT64_MAX };
	struct tzfile_civil c;
	struct tzfile *tz;
	char *cause = NULL;
	int64_t t;
	size_t i;
	int y;

	if ((tz = tzfile_parse(data, size, &cause)) == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	for (i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		tzfile_civil(tz, far[i], &c);
		(void)tzfile_offset(tz, far[i]);
	}
	for (y = 1969; y <= 2041; y += 3) {
		t = tzfile_mktime(tz, y, 3, 29, 2, 30);
		tzfile_civil(tz, t, &c);
		t = tzfile_mktime(tz, y, 10, 25, 2, 30);
		tzfile_civil(tz, t, &c);
	}
	(void)tzfile_mktime(
	    tz, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647);
	(void)tzfile_mktime(tz, -2147483647 - 1, -2147483647 - 1,
	    -2147483647 - 1, -2147483647 - 1, -2147483647 - 1);
	tzfile_free(tz);
	return 0;
}
