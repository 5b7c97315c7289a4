/*
 * The configuration check behind `taskwatchd -n` and `taskwatchctl check`:
 * load the file, read every secret it names, and print every problem, note
 * and start warning at once.
 */
#ifndef CHECK_H
#define CHECK_H

#define CHECK_EX_CONFIG 78

/*
 * Check the config at path, printing to stderr (and with verbose the
 * normalised config to stdout).  Return 0 if it is fine, CHECK_EX_CONFIG
 * on any error.
 */
int check_config(const char *path, int verbose);

#endif
