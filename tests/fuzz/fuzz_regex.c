/*
 * libFuzzer target: src/base/regex.c against libre's own re_regex(),
 * reached past ours with dlsym(RTLD_NEXT). The first byte gives the
 * expression's length (up to 63), the expression follows, the rest is
 * the input. Any difference in the return value or in the captures
 * (pointer and length, written or not; one for each class an expression
 * of 63 bytes can hold, the third NULL) traps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "regex.h"

typedef int (re_regex_f)(const char *ptr, size_t len, const char *expr,
			 ...);

enum { CAPS = 22 };   /* "[]*" 21 times in 63 bytes, and one more */


static void caps_clear(struct pl *c)
{
	size_t i;

	for (i = 0; i < CAPS; i++) {
		c[i].p = (const char *)(uintptr_t)(0x1000 + i);
		c[i].l = 777 + i;
	}
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static re_regex_f *libre;
	struct pl a[CAPS], b[CAPS];
	char expr[64];
	size_t el, i;
	int ea, eb;
	char *in;

	if (!libre) {
		(void)mem_deref(NULL);   /* keeps libre linked */
		libre = (re_regex_f *)dlsym(RTLD_NEXT, "re_regex");
		if (!libre)
			__builtin_trap();
	}
	if (!len)
		return 0;

	el = data[0] % sizeof(expr);
	if (el > len - 1)
		el = len - 1;
	memcpy(expr, data + 1, el);
	expr[el] = '\0';

	/* the input on a buffer of its own size: reading past it is seen */
	in = malloc(len - 1 - el + 1);
	if (!in)
		return 0;
	memcpy(in, data + 1 + el, len - 1 - el);

	caps_clear(a);
	caps_clear(b);
#define ARGS(c) &c[0], &c[1], NULL, &c[3], &c[4], &c[5], &c[6], &c[7], \
	&c[8], &c[9], &c[10], &c[11], &c[12], &c[13], &c[14], &c[15], \
	&c[16], &c[17], &c[18], &c[19], &c[20], &c[21]
	ea = re_regex(in, len - 1 - el, expr, ARGS(a));
	eb = libre(in, len - 1 - el, expr, ARGS(b));
#undef ARGS
	if (ea != eb)
		__builtin_trap();
	for (i = 0; i < CAPS; i++) {
		if (a[i].p != b[i].p || a[i].l != b[i].l)
			__builtin_trap();
	}
	free(in);

	return 0;
}
