/**
 * @file frame.h  Length-prefixed strings in an mbuf
 *
 * What crosses the pipes between the run and its processes (worker.c):
 * a string is its length (4 bytes, host order: both ends are the same
 * binary) then its bytes; a length of UINT32_MAX is NULL.
 */

struct mbuf;

int frame_put(struct mbuf *mb, const char *s, size_t len);
int frame_put_str(struct mbuf *mb, const char *s);
int frame_get(struct mbuf *mb, char **sp, size_t *lenp);
