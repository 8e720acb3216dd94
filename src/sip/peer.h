/**
 * @file peer.h  A hostile peer: raw bytes at siptap's own UAC and UAS
 *
 * A scenario's third role, with its own UDP socket and TCP connections
 * on 127.0.0.1. It sends whatever bytes it is given (malformed, huge,
 * cut short) and records what it sent and got on the test's wire, as
 * role "peer", so the scenario can check how siptap took it.
 */

struct peer;
struct wire;

int  peer_alloc(struct peer **peerp, struct wire *wire,
		const struct sa *laddr);
int peer_send(struct peer *peer, enum sip_transp tp, const struct sa *dst,
	      const uint8_t *p, size_t len, bool cut);
const struct sa *peer_laddr(const struct peer *peer);
