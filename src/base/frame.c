/**
 * @file frame.c  Length-prefixed strings in an mbuf
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "frame.h"


int frame_put(struct mbuf *mb, const char *s, size_t len)
{
	uint32_t n = s ? (uint32_t)len : UINT32_MAX;
	int err = mbuf_write_mem(mb, (const uint8_t *)&n, sizeof(n));

	if (!err && s)
		err = mbuf_write_mem(mb, (const uint8_t *)s, len);

	return err;
}


int frame_put_str(struct mbuf *mb, const char *s)
{
	return frame_put(mb, s, s ? strlen(s) : 0);
}


/* A string as frame_put() wrote it, NUL-terminated in *sp (NULL for
 * NULL); EPROTO when mb ends before it does. */
int frame_get(struct mbuf *mb, char **sp, size_t *lenp)
{
	uint32_t n;

	*sp = NULL;
	if (mbuf_get_left(mb) < sizeof(n))
		return EPROTO;
	(void)mbuf_read_mem(mb, (uint8_t *)&n, sizeof(n));
	if (n == UINT32_MAX)
		return 0;
	if (mbuf_get_left(mb) < n)
		return EPROTO;

	*sp = mem_alloc(n + 1, NULL);
	if (!*sp)
		return ENOMEM;
	(void)mbuf_read_mem(mb, (uint8_t *)*sp, n);
	(*sp)[n] = '\0';
	if (lenp)
		*lenp = n;

	return 0;
}
