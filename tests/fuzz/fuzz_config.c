/*
 * libFuzzer target: the config parser.  Any input must load or fail with
 * messages, never crash or leak; what loads must print.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one input as a config file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct config *conf;
	char *errors = NULL;
	FILE *fp;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if ((fp = fmemopen((void *)data, size ? size : 1, "r")) == NULL)
		return 0;
	if (size == 0)
		fgetc(fp);
	conf = config_load_stream("fuzz.yaml", fp, &errors);
	fclose(fp);
	if (conf != NULL)
		config_print(conf, devnull);
	config_free(conf);
	free(errors);
	return 0;
}
