/**
 * @file hdrdec.h  libre's header decoders, plain shapes without re_regex
 *
 * libre 1.1.0 decodes each Via, CSeq, name-addr, URI and parameter with
 * re_regex(): a search over the header that reads its expression again
 * at each start. hdrdec.c defines sip_via_decode(), sip_cseq_decode(),
 * sip_addr_decode(), uri_decode() and msg_param_decode() for the whole
 * process (libre's own calls reach them through the PLT, as sizes.c's
 * definitions do): each reads the
 * shape libre's expression takes, byte by byte, and gives exactly what
 * libre gives (the same return value, every struct pl the same pointer
 * and length); for anything it is not sure of it calls libre's own
 * function (dlsym RTLD_NEXT). The fast readers are callable by name and
 * answer HDRDEC_UNSURE where libre's function would be needed:
 * tests/unit/test_hdrdec.c and tests/fuzz/fuzz_hdrdec.c compare them
 * with libre's.
 */

/** "Ask libre": the fast reader is not sure of this input */
enum { HDRDEC_UNSURE = -1 };

/* libre's decoders, as dlsym() finds them */
typedef int (hdrdec_via_f)(struct sip_via *, const struct pl *);
typedef int (hdrdec_cseq_f)(struct sip_cseq *, const struct pl *);
typedef int (hdrdec_param_f)(const struct pl *, const char *, struct pl *);
typedef int (hdrdec_uri_f)(struct uri *, const struct pl *);
typedef int (hdrdec_addr_f)(struct sip_addr *, const struct pl *);

int hdrdec_via(struct sip_via *via, const struct pl *pl);
int hdrdec_cseq(struct sip_cseq *cseq, const struct pl *pl);
int hdrdec_param(const struct pl *pl, const char *name, struct pl *val);
int hdrdec_uri(struct uri *uri, const struct pl *pl);
int hdrdec_addr(struct sip_addr *addr, const struct pl *pl);

/**
 * libre's sip_msg_decode(), the same message from the same bytes (its
 * header loop passes over the bytes it would do nothing with; the
 * headers live in the message): sizes.c's sip_msg_decode calls it.
 */
int hdrdec_msg(struct sip_msg **msgp, struct mbuf *mb);
