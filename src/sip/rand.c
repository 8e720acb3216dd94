/**
 * @file rand.c  libre's random numbers, from a buffer of getrandom()
 *
 * libre 1.1.0 (Debian's, built with OpenSSL) draws each random number
 * with RAND_bytes(), and OpenSSL's generator asks the kernel for its
 * pid on every call (it reseeds after a fork). sip_msg_decode() draws
 * one for every message it decodes (msg->tag), siptap decodes each
 * message it receives twice (sizes.c's check, then libre), and each
 * call makes tags, branches and a Call-ID: under siptap load that was
 * 8 % of a worker's CPU.
 *
 * So siptap defines libre's rand_u16, rand_u32, rand_u64 and rand_bytes
 * itself, as sizes.c defines libre's socket calls: libre calls them
 * (and rand_char, rand_str) through its PLT, and the dynamic linker
 * binds those calls to the executable's definitions. The bytes are the
 * kernel's (getrandom(), as unpredictable as OpenSSL's), drawn 4 KB at
 * a time. A forked child drops what its parent had drawn and not used
 * (pthread_atfork), so two workers of one run never share a tag, a
 * branch or a Call-ID. When getrandom() fails, libre's own functions
 * draw the number.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <re.h>


enum { POOL_SIZE = 4096 };

static uint8_t pool[POOL_SIZE];
static size_t pool_left;           /* unused bytes at the pool's end */
static bool atfork_set;


static void pool_drop(void)
{
	pool_left = 0;
}


/* len bytes of the pool into p; false when the kernel gave none */
static bool pool_take(void *p, size_t len)
{
	uint8_t *out = p;

	if (!atfork_set) {
		atfork_set = pthread_atfork(NULL, NULL, pool_drop) == 0;
		if (!atfork_set)
			return false;   /* a child could repeat its parent */
	}

	while (len) {
		size_t n;

		if (!pool_left) {
			ssize_t got = getrandom(pool, sizeof(pool), 0);

			if (got <= 0)
				return false;
			/* the drawn bytes at the end, used from the front */
			memmove(pool + sizeof(pool) - (size_t)got, pool,
				(size_t)got);
			pool_left = (size_t)got;
		}
		n = min(len, pool_left);
		memcpy(out, pool + sizeof(pool) - pool_left, n);
		memset(pool + sizeof(pool) - pool_left, 0, n);
		pool_left -= n;
		out += n;
		len -= n;
	}

	return true;
}


typedef uint16_t (rand_u16_f)(void);
typedef uint32_t (rand_u32_f)(void);
typedef uint64_t (rand_u64_f)(void);
typedef void (rand_bytes_f)(uint8_t *, size_t);


static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}


uint16_t rand_u16(void)
{
	uint16_t v;

	if (pool_take(&v, sizeof(v)))
		return v;

	return ((rand_u16_f *)real("rand_u16"))();
}


uint32_t rand_u32(void)
{
	uint32_t v;

	if (pool_take(&v, sizeof(v)))
		return v;

	return ((rand_u32_f *)real("rand_u32"))();
}


uint64_t rand_u64(void)
{
	uint64_t v;

	if (pool_take(&v, sizeof(v)))
		return v;

	return ((rand_u64_f *)real("rand_u64"))();
}


void rand_bytes(uint8_t *p, size_t size)
{
	if (!p || !size || pool_take(p, size))
		return;

	((rand_bytes_f *)real("rand_bytes"))(p, size);
}
