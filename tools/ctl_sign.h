/*
 * taskwatchctl sign: show how taskwatchd signs a request (canonical
 * request, string to sign, Authorization or signed URL), to compare with
 * what a cloud's signature error echoes.
 */
#ifndef CTL_SIGN_H
#define CTL_SIGN_H

/* Run "sign" (argv[0]); the exit status. */
int ctl_sign(int argc, char *argv[]);

#endif
