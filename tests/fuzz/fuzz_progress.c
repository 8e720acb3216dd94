/*
 * libFuzzer target: option validation (src/sip/progress.c). Whatever the
 * input, a value the checks accept must not be able to break a header
 * line: no CR or LF gets through, and a header keeps its colon; what
 * passes is text (UTF-8, no control character but HTAB).
 */
#include <string.h>
#include <stdlib.h>
#include <re.h>
#include "text.h"
#include "progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[PROGRESS_ERRSZ];
	struct progress_opts o;
	char *s = malloc(len + 1);
	long code = 0;

	if (!s)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';

	/* what passes is TEXT-UTF8: no CR/LF, no control but HTAB, UTF-8 */
	if (!progress_check_reason(s, err, sizeof(err)) &&
	    (strpbrk(s, "\r\n") || text_check(s, strlen(s), err, sizeof(err))))
		__builtin_trap();
	if (!progress_check_header("extraHeaders", s, err, sizeof(err)) &&
	    (strpbrk(s, "\r\n") || !strchr(s, ':') || s[0] == ':' ||
	     text_check(s, strlen(s), err, sizeof(err))))
		__builtin_trap();
	if (!progress_check_ctype(s, err, sizeof(err)) && strpbrk(s, "\r\n"))
		__builtin_trap();

	if (len >= sizeof(long))
		memcpy(&code, data, sizeof(long));
	if (!progress_check_status(code, err, sizeof(err)) &&
	    (code < 100 || code > 199))
		__builtin_trap();

	memset(&o, 0, sizeof(o));
	o.reason = s;
	o.xhdrv[0] = s;
	o.xhdrc = 1;
	o.ctype = len % 2 ? s : NULL;
	o.body_is_table = len % 3 == 0;
	(void)progress_validate(&o, err, sizeof(err));
	(void)progress_reason(&o);

	free(s);

	return 0;
}
