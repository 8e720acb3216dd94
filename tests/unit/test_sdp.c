/**
 * @file test_sdp.c  Unit tests of src/sip/sdp.c: offers and answers, line by
 *                   line, as libre 1.1.0 encodes them
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "sdp.h"


enum { MAX_LINES = 32 };

/* An SDP body cut into its lines, without their CR LF. */
struct sdp_lines {
	char *sdp;
	struct pl v[MAX_LINES];
	size_t n;
};

#define HDR "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 10.0.0.1\r\nt=0 0\r\n"


static void lines_destructor(void *arg)
{
	struct sdp_lines *l = arg;

	mem_deref(l->sdp);
}


static int setup(void **state)
{
	*state = mem_zalloc(sizeof(struct sdp_lines), lines_destructor);

	return *state ? 0 : -1;
}


static int teardown(void **state)
{
	mem_deref(*state);

	return 0;
}


static void local(struct sa *sa)
{
	assert_int_equal(sa_set_str(sa, "127.0.0.1", 5060), 0);
}


/* Every line ends in CR LF, and there is no CR or LF anywhere else. */
static void split(struct sdp_lines *l)
{
	const char *p = l->sdp, *end;

	assert_non_null(p);
	l->n = 0;
	while (*p) {
		end = strstr(p, "\r\n");
		assert_non_null(end);
		assert_true(l->n < MAX_LINES);
		l->v[l->n].p = p;
		l->v[l->n].l = (size_t)(end - p);
		assert_null(memchr(p, '\r', l->v[l->n].l));
		assert_null(memchr(p, '\n', l->v[l->n].l));
		++l->n;
		p = end + 2;
	}
}


static void offer(struct sdp_lines *l, const struct sdpgen_opts *opts)
{
	struct sa laddr;

	local(&laddr);
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_offer(&l->sdp, &laddr, opts), 0);
	split(l);
}


static void answer(struct sdp_lines *l, const struct sdpgen_opts *opts,
		   const char *remote)
{
	struct sa laddr;

	local(&laddr);
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_answer(&l->sdp, &laddr, opts, remote,
				       strlen(remote)), 0);
	split(l);
}


static void check_line(const struct sdp_lines *l, size_t i,
		       const char *want, const char *file, int line)
{
	if (i < l->n && !pl_strcmp(&l->v[i], want))
		return;

	print_error("line %zu: want \"%s\", got \"%.*s\"\nin:\n%s", i, want,
		    i < l->n ? (int)l->v[i].l : 0,
		    i < l->n ? l->v[i].p : "", l->sdp);
	_fail(file, line);
}

#define assert_line(l, i, want) \
	check_line((l), (i), (want), __FILE__, __LINE__)


/* How many lines start with prefix. */
static size_t count(const struct sdp_lines *l, const char *prefix)
{
	size_t i, c = 0, n = strlen(prefix);

	for (i = 0; i < l->n; i++) {
		if (l->v[i].l >= n && !memcmp(l->v[i].p, prefix, n))
			++c;
	}

	return c;
}


static size_t count_dir(const struct sdp_lines *l)
{
	return count(l, "a=sendrecv") + count(l, "a=sendonly")
		+ count(l, "a=recvonly") + count(l, "a=inactive");
}


/* The session part every body has, up to the m= line. */
static void check_session(const struct sdp_lines *l)
{
	const struct pl *o = &l->v[1];
	static const char tail[] = " IN IP4 127.0.0.1";

	assert_true(l->n >= 5);
	assert_line(l, 0, "v=0");
	assert_true(o->l > 4 + sizeof(tail) && !memcmp(o->p, "o=- ", 4));
	assert_memory_equal(o->p + o->l - (sizeof(tail) - 1), tail,
			    sizeof(tail) - 1);
	assert_line(l, 2, "s=-");
	assert_line(l, 3, "c=IN IP4 127.0.0.1");
	assert_line(l, 4, "t=0 0");
}


static void test_offer_default(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts none = {0};

	offer(l, NULL);

	check_session(l);
	assert_int_equal(l->n, 11);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8 101");
	assert_line(l, 6, "a=rtpmap:0 PCMU/8000");
	assert_line(l, 7, "a=rtpmap:8 PCMA/8000");
	assert_line(l, 8, "a=rtpmap:101 telephone-event/8000");
	assert_line(l, 9, "a=fmtp:101 0-16");
	/* libre writes the direction even when it is the default */
	assert_line(l, 10, "a=sendrecv");
	assert_int_equal(count(l, "m="), 1);

	/* empty options mean the defaults too */
	offer(l, &none);
	assert_int_equal(l->n, 11);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8 101");
	assert_line(l, 10, "a=sendrecv");
}


static void test_offer_ipv6(void **state)
{
	struct sdp_lines *l = *state;
	struct sa laddr;

	assert_int_equal(sa_set_str(&laddr, "::1", 5060), 0);
	assert_int_equal(sdpgen_offer(&l->sdp, &laddr, NULL), 0);
	split(l);

	assert_line(l, 3, "c=IN IP6 ::1");
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8 101");
}


static void test_offer_codecs(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts opus = {
		.codecv = {"opus", "PCMA"}, .codecc = 2};
	const struct sdpgen_opts g722 = {.codecv = {"G722"}, .codecc = 1};
	const struct sdpgen_opts lower = {
		.codecv = {"telephone-event", "pcma", "Pcmu"}, .codecc = 3};

	offer(l, &opus);
	check_session(l);
	assert_int_equal(l->n, 10);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 111 8");
	assert_line(l, 6, "a=rtpmap:111 opus/48000/2");
	assert_line(l, 7, "a=fmtp:111 minptime=10;useinbandfec=1");
	assert_line(l, 8, "a=rtpmap:8 PCMA/8000");
	assert_line(l, 9, "a=sendrecv");
	assert_int_equal(count(l, "a=rtpmap:0 "), 0);
	assert_int_equal(count(l, "a=rtpmap:101 "), 0);

	offer(l, &g722);
	assert_int_equal(l->n, 8);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 9");
	assert_line(l, 6, "a=rtpmap:9 G722/8000");
	assert_line(l, 7, "a=sendrecv");

	/* names match in any case; the SDP spells them the usual way */
	offer(l, &lower);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 101 8 0");
	assert_line(l, 6, "a=rtpmap:101 telephone-event/8000");
	assert_line(l, 7, "a=fmtp:101 0-16");
	assert_line(l, 8, "a=rtpmap:8 PCMA/8000");
	assert_line(l, 9, "a=rtpmap:0 PCMU/8000");
}


static void test_offer_direction(void **state)
{
	struct sdp_lines *l = *state;
	static const char *const dirs[] = {
		"sendrecv", "sendonly", "recvonly", "inactive"};
	struct sdpgen_opts opts = {0};
	char want[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		opts.direction = dirs[i];
		offer(l, &opts);
		re_snprintf(want, sizeof(want), "a=%s", dirs[i]);
		assert_line(l, l->n - 1, want);
		assert_int_equal(count_dir(l), 1);
		assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8 101");
	}
}


static void test_offer_port(void **state)
{
	struct sdp_lines *l = *state;
	struct sdpgen_opts opts = {.port = 4000};

	offer(l, &opts);
	assert_line(l, 5, "m=audio 4000 RTP/AVP 0 8 101");

	/* the SIP port of laddr is never the RTP port */
	opts.port = 0;
	offer(l, &opts);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8 101");

	opts.port = 65535;
	opts.codecv[0] = "PCMU";
	opts.codecc = 1;
	offer(l, &opts);
	assert_line(l, 5, "m=audio 65535 RTP/AVP 0");
}


static void test_offer_unknown_codec(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts bad[] = {
		{.codecv = {"speex"}, .codecc = 1},
		{.codecv = {"PCMU", "G729"}, .codecc = 2},
		{.codecv = {"PCMU", ""}, .codecc = 2},
		{.codecv = {"PCMU "}, .codecc = 1},
	};
	static const char remote[] = HDR "m=audio 1 RTP/AVP 0\r\n";
	struct sa laddr;
	size_t i;

	local(&laddr);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(sdpgen_offer(&l->sdp, &laddr, &bad[i]),
				 EINVAL);
		assert_null(l->sdp);
		assert_int_equal(sdpgen_answer(&l->sdp, &laddr, &bad[i],
					       remote, sizeof(remote) - 1),
				 EINVAL);
		assert_null(l->sdp);
	}
}


static void test_bad_args(void **state)
{
	struct sdp_lines *l = *state;
	struct sa laddr;

	local(&laddr);
	assert_int_equal(sdpgen_offer(NULL, &laddr, NULL), EINVAL);
	assert_int_equal(sdpgen_offer(&l->sdp, NULL, NULL), EINVAL);
	assert_int_equal(sdpgen_answer(NULL, &laddr, NULL, "v=0\r\n", 5),
			 EINVAL);
	assert_int_equal(sdpgen_answer(&l->sdp, NULL, NULL, "v=0\r\n", 5),
			 EINVAL);
	assert_int_equal(sdpgen_answer(&l->sdp, &laddr, NULL, NULL, 0),
			 EINVAL);
	assert_null(l->sdp);
}


/* Only what both sides have, in the offerer's order (RFC 3264 6.1
 * recommends that, and libre does it whatever our order is). */
static void test_answer_common(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts pcma_first = {
		.codecv = {"PCMA", "PCMU"}, .codecc = 2};

	answer(l, NULL, HDR "m=audio 30000 RTP/AVP 0 8\r\n"
	       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n");
	check_session(l);
	assert_int_equal(l->n, 9);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8");
	assert_line(l, 6, "a=rtpmap:0 PCMU/8000");
	assert_line(l, 7, "a=rtpmap:8 PCMA/8000");
	assert_line(l, 8, "a=sendrecv");
	/* we have telephone-event, the offer has not */
	assert_int_equal(count(l, "a=rtpmap:101"), 0);
	assert_int_equal(count(l, "a=fmtp"), 0);

	answer(l, NULL, HDR "m=audio 30000 RTP/AVP 8 0\r\n");
	assert_line(l, 5, "m=audio 49170 RTP/AVP 8 0");
	assert_line(l, 6, "a=rtpmap:8 PCMA/8000");
	assert_line(l, 7, "a=rtpmap:0 PCMU/8000");

	answer(l, &pcma_first, HDR "m=audio 30000 RTP/AVP 0 8\r\n");
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 8");
}


static void test_answer_subset(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts pcma = {.codecv = {"PCMA"}, .codecc = 1};

	answer(l, &pcma, HDR "m=audio 30000 RTP/AVP 0 9 8 101\r\n"
	       "a=rtpmap:101 telephone-event/8000\r\n");
	assert_int_equal(l->n, 8);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 8");
	assert_line(l, 6, "a=rtpmap:8 PCMA/8000");
	assert_line(l, 7, "a=sendrecv");
}


/* A dynamic format keeps the offerer's number, as RFC 3264 6.1 wants;
 * the fmtp is ours (the events we can receive). */
static void test_answer_dynamic_pt(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts opus = {.codecv = {"opus"}, .codecc = 1};

	answer(l, NULL, HDR "m=audio 30000 RTP/AVP 0 96\r\n"
	       "a=rtpmap:96 telephone-event/8000\r\n"
	       "a=fmtp:96 0-15\r\n");
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 96");
	assert_line(l, 7, "a=rtpmap:96 telephone-event/8000");
	assert_line(l, 8, "a=fmtp:96 0-16");
	assert_int_equal(count(l, "a=rtpmap:101"), 0);

	/* encoding names compare without case */
	answer(l, &opus, HDR "m=audio 30000 RTP/AVP 107\r\n"
	       "a=rtpmap:107 OPUS/48000/2\r\n");
	assert_line(l, 5, "m=audio 49170 RTP/AVP 107");
	assert_line(l, 6, "a=rtpmap:107 opus/48000/2");
	assert_line(l, 7, "a=fmtp:107 minptime=10;useinbandfec=1");
}


/* Nothing in common: libre 1.1.0 rejects the stream with port 0 and
 * lists our first format (an m= line needs one), with no rtpmap and no
 * direction attribute. It is not an error: sdpgen_answer returns 0 and
 * it is for the caller to send a 488 instead if it wants to. */
static void test_answer_nothing_common(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts pcmu = {.codecv = {"PCMU"}, .codecc = 1};

	answer(l, &pcmu, HDR "m=audio 30000 RTP/AVP 9\r\n"
	       "a=rtpmap:9 G722/8000\r\n");
	check_session(l);
	assert_int_equal(l->n, 6);
	assert_line(l, 5, "m=audio 0 RTP/AVP 0");
	assert_int_equal(count(l, "a="), 0);
}


/* One answer m= line per offer m= line; the video one is rejected. */
static void test_answer_other_media(void **state)
{
	struct sdp_lines *l = *state;

	answer(l, NULL, HDR "m=audio 30000 RTP/AVP 0\r\n"
	       "m=video 30002 RTP/AVP 96\r\n"
	       "a=rtpmap:96 H264/90000\r\n");
	assert_int_equal(count(l, "m="), 2);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0");
	assert_line(l, 6, "a=rtpmap:0 PCMU/8000");
	assert_line(l, 7, "a=sendrecv");
	/* libre lists our first audio format even here */
	assert_line(l, 8, "m=video 0 RTP/AVP 0");
	assert_int_equal(l->n, 9);
}


/* The answer's direction mirrors the offer's, limited by ours. */
static void test_answer_direction(void **state)
{
	struct sdp_lines *l = *state;
	static const struct {
		const char *ours;
		const char *offered;
		const char *answered;
	} t[] = {
		{NULL,       "sendrecv", "sendrecv"},
		{NULL,       "sendonly", "recvonly"},
		{NULL,       "recvonly", "sendonly"},
		{NULL,       "inactive", "inactive"},
		{"recvonly", "sendrecv", "recvonly"},
		{"sendonly", "sendrecv", "sendonly"},
		{"inactive", "sendrecv", "inactive"},
		{"sendonly", "sendonly", "inactive"},
	};
	struct sdpgen_opts opts = {0};
	char remote[256], want[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		opts.direction = t[i].ours;
		re_snprintf(remote, sizeof(remote),
			    HDR "m=audio 30000 RTP/AVP 0\r\na=%s\r\n",
			    t[i].offered);
		answer(l, &opts, remote);
		re_snprintf(want, sizeof(want), "a=%s", t[i].answered);
		assert_line(l, l->n - 1, want);
		assert_int_equal(count_dir(l), 1);
	}

	/* no direction in the offer means sendrecv */
	answer(l, NULL, HDR "m=audio 30000 RTP/AVP 0\r\n");
	assert_line(l, l->n - 1, "a=sendrecv");
}


static void test_answer_port(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts opts = {.port = 20000};

	answer(l, &opts, HDR "m=audio 30000 RTP/AVP 8\r\n");
	assert_line(l, 5, "m=audio 20000 RTP/AVP 8");
}


/* An offer with bare LF line ends is read; the answer is CR LF. */
static void test_answer_lf_offer(void **state)
{
	struct sdp_lines *l = *state;

	answer(l, NULL, "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\n"
	       "c=IN IP4 10.0.0.1\nt=0 0\nm=audio 30000 RTP/AVP 8\n");
	check_session(l);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 8");
}


static void test_answer_bad_offer(void **state)
{
	struct sdp_lines *l = *state;
	/* libre 1.1.0 is lenient: it skips lines it does not know and
	 * reads a port of "x" as 0; these are what it refuses */
	static const struct {
		const char *sdp;
		int err;
	} bad[] = {
		{"garbage",                EBADMSG},
		{"v=0\r\nm=audio\r\n",     EBADMSG},
		{"v=1\r\n",                ENOSYS},
	};
	static const char one[] = HDR "m=audio 30000 RTP/AVP 8\r\n";
	static const char two[] = HDR "m=audio 30000 RTP/AVP 8\r\n"
		"m=video 30002 RTP/AVP 96\r\n";
	struct sa laddr;
	size_t i;

	local(&laddr);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(sdpgen_answer(&l->sdp, &laddr, NULL,
					       bad[i].sdp, strlen(bad[i].sdp)),
				 bad[i].err);
		assert_null(l->sdp);
	}

	/* offer_len, not strlen: nothing after it is read */
	assert_int_equal(sdpgen_answer(&l->sdp, &laddr, NULL, two,
				       sizeof(one) - 1), 0);
	split(l);
	assert_int_equal(count(l, "m="), 1);

	/* an offer without media (here: empty) is answered without any:
	 * libre 1.1.0 takes it, so that is no error either */
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_answer(&l->sdp, &laddr, NULL, "", 0), 0);
	split(l);
	assert_int_equal(l->n, 5);
	assert_int_equal(count(l, "m="), 0);
}


static void test_known(void **state)
{
	(void)state;

	assert_true(sdpgen_codec_known("PCMU"));
	assert_true(sdpgen_codec_known("pcma"));
	assert_true(sdpgen_codec_known("G722"));
	assert_true(sdpgen_codec_known("opus"));
	assert_true(sdpgen_codec_known("OPUS"));
	assert_true(sdpgen_codec_known("telephone-event"));
	assert_false(sdpgen_codec_known("G729"));
	assert_false(sdpgen_codec_known(""));
	assert_false(sdpgen_codec_known("PCM"));
	assert_false(sdpgen_codec_known(NULL));

	/* directions are SDP attribute names: exact, lower case */
	assert_true(sdpgen_direction_known("sendrecv"));
	assert_true(sdpgen_direction_known("sendonly"));
	assert_true(sdpgen_direction_known("recvonly"));
	assert_true(sdpgen_direction_known("inactive"));
	assert_false(sdpgen_direction_known("SendOnly"));
	assert_false(sdpgen_direction_known("send"));
	assert_false(sdpgen_direction_known(""));
	assert_false(sdpgen_direction_known(NULL));
}


/* An SDP sent again keeps the o= line of the first; a changed one
 * takes the first's o= with the version one up (RFC 3264 8). */
static void test_follow(void **state)
{
	static const char prev[] = "v=0\r\no=alice 42 7 IN IP4 10.0.0.1\r\n"
		"s=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";
	static const char next[] = "v=0\r\no=- 99 1 IN IP4 10.0.0.2\r\n"
		"s=x\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";
	struct sdp_lines *l = *state;

	assert_int_equal(sdpgen_follow(&l->sdp, next, prev, 1, false), 0);
	split(l);
	assert_line(l, 1, "o=alice 42 8 IN IP4 10.0.0.1");
	assert_line(l, 2, "s=x");
	assert_int_equal(l->n, 5);

	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_follow(&l->sdp, prev, prev, 0, false), 0);
	assert_string_equal(l->sdp, prev);

	/* the faults: a new sess-id */
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_follow(&l->sdp, prev, prev, 0, true), 0);
	split(l);
	assert_line(l, 1, "o=alice 43 7 IN IP4 10.0.0.1");

	/* no o= line, or one that is not six fields with numbers */
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_follow(&l->sdp, next, "v=0\r\ns=-\r\n", 1,
				       false), EBADMSG);
	assert_int_equal(sdpgen_follow(&l->sdp, next,
				       "v=0\r\no=- x 1 IN IP4 h\r\n", 1,
				       false), EBADMSG);
	assert_int_equal(sdpgen_follow(NULL, next, prev, 1, false), EINVAL);
}


static void breaks(struct sdp_lines *l, const char *sdp,
		   enum sdpgen_break what, const char *offer)
{
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_break(&l->sdp, sdp, what, offer), 0);
	split(l);
}


/* The fault switches: each breaks the one thing it names. */
static void test_break(void **state)
{
	static const char ans[] = HDR "m=audio 49170 RTP/AVP 0\r\n"
		"a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"
		"m=video 0 RTP/AVP 0\r\n";
	static const char off[] = HDR "a=sendonly\r\n"
		"m=audio 30000 RTP/AVP 0\r\nm=video 30002 RTP/AVP 31\r\n";
	struct sdp_lines *l = *state;

	breaks(l, ans, SDPGEN_NO_C_LINE, off);
	assert_int_equal(count(l, "c="), 0);
	assert_int_equal(l->n, 8);

	breaks(l, ans, SDPGEN_BAD_PORT, off);
	assert_line(l, 5, "m=audio $port RTP/AVP 0");
	assert_line(l, 8, "m=video 0 RTP/AVP 0");

	breaks(l, ans, SDPGEN_EXTRA_MLINE, off);
	assert_int_equal(count(l, "m="), 3);
	assert_line(l, 9, "m=video 49172 RTP/AVP 31");
	assert_line(l, 10, "a=rtpmap:31 H261/90000");

	/* G729 on the accepted stream, its rtpmap at the section end */
	breaks(l, ans, SDPGEN_FOREIGN_CODEC, off);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0 18");
	assert_line(l, 7, "a=recvonly");
	assert_line(l, 8, "a=rtpmap:18 G729/8000");
	assert_line(l, 9, "m=video 0 RTP/AVP 0");

	/* the session-level sendonly of the offer answered sendonly, in
	 * each stream (one without a direction line gets one) */
	breaks(l, ans, SDPGEN_DIRECTION_SAME, off);
	assert_line(l, 7, "a=sendonly");
	assert_line(l, 9, "a=sendonly");
	assert_int_equal(count_dir(l), 2);

	breaks(l, HDR "m=audio 49170 RTP/AVP 0\r\n", SDPGEN_DIRECTION_SAME,
	       HDR "m=audio 30000 RTP/AVP 0\r\na=recvonly\r\n");
	assert_line(l, 6, "a=recvonly");

	/* a sendrecv offer leaves nothing to break */
	breaks(l, ans, SDPGEN_DIRECTION_SAME, HDR "m=audio 1 RTP/AVP 0\r\n");
	assert_string_equal(l->sdp, ans);
	assert_int_equal(sdpgen_break(NULL, ans, SDPGEN_BAD_PORT, NULL),
			 EINVAL);
}


/* SIP.js's hold: the receive side off the local direction; an answer
 * mirrors the offer through it */
static void test_hold(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts hold = {.hold = true};
	const struct sdpgen_opts held_recv = {.hold = true,
					      .direction = "recvonly"};

	offer(l, &hold);
	assert_int_equal(count(l, "a=sendonly"), 1);
	assert_int_equal(count_dir(l), 1);
	offer(l, &held_recv);
	assert_int_equal(count(l, "a=inactive"), 1);

	answer(l, &hold, HDR "m=audio 30000 RTP/AVP 0\r\n");
	assert_int_equal(count(l, "a=sendonly"), 1);
	answer(l, &hold, HDR "m=audio 30000 RTP/AVP 0\r\na=sendonly\r\n");
	assert_int_equal(count(l, "a=inactive"), 1);
	answer(l, &hold, HDR "m=audio 30000 RTP/AVP 0\r\na=recvonly\r\n");
	assert_int_equal(count(l, "a=sendonly"), 1);
}


/* SIP.js's constraints: an offer holds the media asked for, an answer
 * declines the others with port 0 and adds none */
static void test_constraints(void **state)
{
	struct sdp_lines *l = *state;
	const struct sdpgen_opts av = {.constrained = true, .audio = true,
				       .video = true};
	const struct sdpgen_opts v = {.constrained = true, .video = true};
	const struct sdpgen_opts a = {.constrained = true, .audio = true};
	const struct sdpgen_opts none = {.constrained = true};
	const char *avoffer = HDR "m=audio 30000 RTP/AVP 0\r\n"
		"m=video 30002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
	struct sa laddr;
	char *sdp = NULL;

	offer(l, &av);
	assert_int_equal(count(l, "m=audio 49170 "), 1);
	assert_int_equal(count(l, "m=video 49172 RTP/AVP 96 97"), 1);
	assert_int_equal(count(l, "a=rtpmap:96 VP8/90000"), 1);
	offer(l, &v);
	assert_int_equal(count(l, "m="), 1);
	assert_int_equal(count(l, "m=video 49172 "), 1);

	local(&laddr);
	assert_int_equal(sdpgen_offer(&sdp, &laddr, &none), EINVAL);
	assert_null(sdp);

	answer(l, &a, avoffer);
	assert_int_equal(count(l, "m=audio 49170 RTP/AVP 0"), 1);
	assert_int_equal(count(l, "m=video 0 "), 1);
	answer(l, &v, avoffer);
	assert_int_equal(count(l, "m=audio 0 "), 1);
	assert_int_equal(count(l, "m=video 49172 RTP/AVP 96"), 1);
	answer(l, &av, HDR "m=audio 30000 RTP/AVP 0\r\n");
	assert_int_equal(count(l, "m="), 1);
}


/* An answer made from a modified offer gets one m= line per offered
 * one: a stream the modifier removed is declined, one it added dropped */
static void test_align(void **state)
{
	struct sdp_lines *l = *state;
	const char *wire = HDR "m=audio 30000 RTP/AVP 0\r\n"
		"m=video 30002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
	const char *audio_only = HDR "m=audio 49170 RTP/AVP 0\r\n"
		"a=sendrecv\r\n";
	const char *extra = HDR "m=audio 49170 RTP/AVP 0\r\n"
		"m=video 0 RTP/AVP 96\r\nm=text 0 RTP/AVP 98\r\n";

	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_align(&l->sdp, audio_only, wire), 0);
	split(l);
	assert_line(l, 5, "m=audio 49170 RTP/AVP 0");
	assert_line(l, 6, "a=sendrecv");
	assert_line(l, 7, "m=video 0 RTP/AVP 96");
	assert_line(l, 8, "a=rtpmap:96 VP8/90000");
	assert_int_equal(l->n, 9);

	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_align(&l->sdp, extra, wire), 0);
	split(l);
	assert_int_equal(count(l, "m="), 2);
	assert_int_equal(count(l, "m=text"), 0);

	/* already fitting: the same bytes */
	l->sdp = mem_deref(l->sdp);
	assert_int_equal(sdpgen_align(&l->sdp, audio_only, HDR
				      "m=audio 1 RTP/AVP 0\r\n"), 0);
	assert_string_equal(l->sdp, audio_only);
	assert_int_equal(sdpgen_align(NULL, audio_only, wire), EINVAL);
}


/* sdp with its o= line's "<id> <version>" as "X", into out */
static void without_o(char *out, size_t sz, const char *sdp)
{
	const char *o = strstr(sdp, "\no=- ");
	const char *in;

	assert_non_null(o);
	in = strstr(o, " IN IP");
	assert_non_null(in);
	assert_true((size_t)(o - sdp) + 5 + 1 + strlen(in) < sz);
	memcpy(out, sdp, (size_t)(o - sdp) + 5);
	out[(o - sdp) + 5] = 'X';
	strcpy(out + (o - sdp) + 6, in);
}


/* The id of sdp's o= line */
static unsigned long o_id(const char *sdp)
{
	const char *o = strstr(sdp, "\no=- ");

	assert_non_null(o);
	return strtoul(o + 5, NULL, 10);
}


/* a and b given from a kept shape, c as libre made it: the same but for
 * the o= numbers, and a's and b's drawn afresh each */
static void kept_as_made(const char *a, const char *b, const char *c)
{
	char sa_[1024], sb[1024], sc[1024];

	without_o(sa_, sizeof(sa_), a);
	without_o(sb, sizeof(sb), b);
	without_o(sc, sizeof(sc), c);
	assert_string_equal(sa_, sc);
	assert_string_equal(sb, sc);
	assert_true(o_id(a) != o_id(b));
}


/* An SDP made without options is kept by what it was made from and given
 * again with a fresh o= id and version: the same bytes as libre makes
 * them (the default codecs named are options, and go to libre each
 * time), the same answer to an offer that differs only in its o= value,
 * another to one that differs elsewhere */
static void test_shapes(void **state)
{
	static const char *const offers[] = {
		HDR "m=audio 30000 RTP/AVP 0 8\r\n",
		"v=0\r\no=alice 99 7 IN IP4 10.9.9.9\r\ns=-\r\n"
		"c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8\r\n",
		HDR "m=audio 30000 RTP/AVP 8\r\n",
		"v=0\no=- 5 5 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n"
		"m=audio 30000 RTP/AVP 0 101\na=rtpmap:101 "
		"telephone-event/8000\n",
		"v=0\r\no=\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 0\r\n",
	};
	const struct sdpgen_opts libre_only = {
		.codecv = {"PCMU", "PCMA", "telephone-event"}, .codecc = 3};
	char *a = NULL, *b = NULL, *c = NULL;
	char sa_[1024], sb[1024], sc[1024];
	struct sa laddr;
	size_t i;
	(void)state;

	local(&laddr);
	for (i = 0; i < 3; i++) {
		assert_int_equal(sdpgen_offer(&a, &laddr, NULL), 0);
		assert_int_equal(sdpgen_offer(&b, &laddr, NULL), 0);
		assert_int_equal(sdpgen_offer(&c, &laddr, &libre_only), 0);
		kept_as_made(a, b, c);
		a = mem_deref(a);
		b = mem_deref(b);
		c = mem_deref(c);
	}

	for (i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
		const char *o = offers[i];

		assert_int_equal(sdpgen_answer(&a, &laddr, NULL, o, strlen(o)),
				 0);
		assert_int_equal(sdpgen_answer(&b, &laddr, NULL, o, strlen(o)),
				 0);
		assert_int_equal(sdpgen_answer(&c, &laddr, &libre_only, o,
					       strlen(o)), 0);
		kept_as_made(a, b, c);
		a = mem_deref(a);
		b = mem_deref(b);
		c = mem_deref(c);
	}

	/* the first two differ only in o=: one answer; the third not */
	assert_int_equal(sdpgen_answer(&a, &laddr, NULL, offers[0],
				       strlen(offers[0])), 0);
	assert_int_equal(sdpgen_answer(&b, &laddr, NULL, offers[1],
				       strlen(offers[1])), 0);
	assert_int_equal(sdpgen_answer(&c, &laddr, NULL, offers[2],
				       strlen(offers[2])), 0);
	without_o(sa_, sizeof(sa_), a);
	without_o(sb, sizeof(sb), b);
	without_o(sc, sizeof(sc), c);
	assert_string_equal(sa_, sb);
	assert_string_not_equal(sa_, sc);
	assert_non_null(strstr(sc, "m=audio 49170 RTP/AVP 8\r\n"));
	mem_deref(a);
	mem_deref(b);
	mem_deref(c);

	/* a bad offer is refused each time, never kept */
	for (i = 0; i < 2; i++)
		assert_int_not_equal(sdpgen_answer(&a, &laddr, NULL, "v=1\r\n",
						   6), 0);
}


#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_offer_default),
		T(test_offer_ipv6),
		T(test_offer_codecs),
		T(test_offer_direction),
		T(test_offer_port),
		T(test_offer_unknown_codec),
		T(test_bad_args),
		T(test_answer_common),
		T(test_answer_subset),
		T(test_answer_dynamic_pt),
		T(test_answer_nothing_common),
		T(test_answer_other_media),
		T(test_answer_direction),
		T(test_answer_port),
		T(test_answer_lf_offer),
		T(test_answer_bad_offer),
		T(test_known),
		T(test_follow),
		T(test_break),
		T(test_hold),
		T(test_constraints),
		T(test_align),
		T(test_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
