/**
 * @file okretx.h  A 2xx to a re-INVITE, sent again until its ACK
 *
 * libre's server transaction sends a 2xx to an INVITE once: the TU
 * retransmits it (RFC 3261 13.3.1.4, P-2XX-1). The first INVITE's 2xx
 * is uas.c's own; a re-INVITE's, the reference UAS's and the UAC's
 * alike, is this: T1 doubling up to T2 (8*T1, scaled as every siptap
 * timer), over UDP only (a re-INVITE goes end to end in the dialog, but
 * siptap's peers are its first hop), for 64*T1 at most.
 */

struct okretx;

int  okretx_start(struct okretx **orp, struct sip *sip,
		  const struct sip_msg *req, struct mbuf *mb, uint32_t t1);
bool okretx_ack(struct okretx *or, const struct sip_msg *ack);
