/**
 * @file sdp.c  Session descriptions the reference UAS and the UAC produce
 */
#include <string.h>
#include <re.h>
#include "sdp.h"


struct codec {
	const char *name;
	const char *pt;
	uint32_t srate;
	uint8_t ch;
	const char *fmtp;
};

/* The static ones keep their RFC 3551 numbers; the dynamic ones use the
 * numbers most softphones pick, so captures look familiar. */
static const struct codec codecs[] = {
	{"PCMU",            "0",   8000,  1, NULL},
	{"PCMA",            "8",   8000,  1, NULL},
	{"G722",            "9",   8000,  1, NULL},
	{"opus",            "111", 48000, 2, "minptime=10;useinbandfec=1"},
	{"telephone-event", "101", 8000,  1, "0-16"},
};

static const char *default_codecs[] = {"PCMU", "PCMA", "telephone-event"};

static const char *directions[] = {
	"inactive", "recvonly", "sendonly", "sendrecv"  /* enum sdp_dir */
};


static const struct codec *codec_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++) {
		if (!str_casecmp(codecs[i].name, name))
			return &codecs[i];
	}

	return NULL;
}


bool sdpgen_codec_known(const char *name)
{
	return name && codec_find(name) != NULL;
}


bool sdpgen_direction_known(const char *dir)
{
	size_t i;

	for (i = 0; dir && i < ARRAY_SIZE(directions); i++) {
		if (!strcmp(directions[i], dir))
			return true;
	}

	return false;
}


static enum sdp_dir direction(const char *dir)
{
	size_t i;

	for (i = 0; dir && i < ARRAY_SIZE(directions); i++) {
		if (!strcmp(directions[i], dir))
			return (enum sdp_dir)i;
	}

	return SDP_SENDRECV;
}


/* One audio stream with the chosen formats, on laddr. */
static int session_make(struct sdp_session **sessp, const struct sa *laddr,
			const struct sdpgen_opts *opts)
{
	struct sdp_session *sess = NULL;
	struct sdp_media *m;
	struct sa maddr = *laddr;
	const char *const *namev = default_codecs;
	size_t namec = ARRAY_SIZE(default_codecs);
	size_t i;
	int err;

	if (opts && opts->codecc) {
		namev = opts->codecv;
		namec = opts->codecc;
	}

	sa_set_port(&maddr, opts && opts->port ? opts->port : 49170);

	err = sdp_session_alloc(&sess, &maddr);
	if (err)
		return err;

	err = sdp_media_add(&m, sess, "audio", sa_port(&maddr), "RTP/AVP");
	if (err)
		goto out;

	for (i = 0; i < namec; i++) {
		const struct codec *c = codec_find(namev[i]);

		if (!c) {
			err = EINVAL;
			goto out;
		}
		err = sdp_format_add(NULL, m, false, c->pt, c->name, c->srate,
				     c->ch, NULL, NULL, NULL, false, c->fmtp);
		if (err)
			goto out;
	}

	sdp_media_set_ldir(m, direction(opts ? opts->direction : NULL));

 out:
	if (err)
		mem_deref(sess);
	else
		*sessp = sess;

	return err;
}


static int encode(char **sdpp, struct sdp_session *sess, bool offer)
{
	struct mbuf *mb = NULL;
	int err;

	err = sdp_encode(&mb, sess, offer);
	if (err)
		return err;

	mb->pos = 0;
	err = mbuf_strdup(mb, sdpp, mbuf_get_left(mb));
	mem_deref(mb);

	return err;
}


int sdpgen_offer(char **sdpp, const struct sa *laddr,
		 const struct sdpgen_opts *opts)
{
	struct sdp_session *sess = NULL;
	int err;

	if (!sdpp || !laddr)
		return EINVAL;

	err = session_make(&sess, laddr, opts);
	if (err)
		return err;

	err = encode(sdpp, sess, true);
	mem_deref(sess);

	return err;
}


/* libre answers with the formats both sides have, in the offer's order
 * and with its payload type numbers (RFC 3264 6.1); with none in common
 * the stream is rejected (port 0), which is no error here. */
int sdpgen_answer(char **sdpp, const struct sa *laddr,
		  const struct sdpgen_opts *opts, const char *offer,
		  size_t offer_len)
{
	struct sdp_session *sess = NULL;
	struct mbuf *mb = NULL;
	int err;

	if (!sdpp || !laddr || !offer)
		return EINVAL;

	err = session_make(&sess, laddr, opts);
	if (err)
		return err;

	mb = mbuf_alloc(offer_len + 1);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}
	err = mbuf_write_mem(mb, (const uint8_t *)offer, offer_len);
	if (err)
		goto out;
	mb->pos = 0;

	err = sdp_decode(sess, mb, true);
	if (err)
		goto out;

	err = encode(sdpp, sess, false);

 out:
	mem_deref(mb);
	mem_deref(sess);

	return err;
}
