/**
 * @file wire.h  Every SIP message a test sent or received
 *
 * libre calls our trace handler for each message its transports send or
 * receive (retransmissions included), so the wire is the ground truth a
 * scenario asserts on: raw bytes, direction, role, addresses, time.
 */

enum wire_role {
	WIRE_UAC = 0,
	WIRE_UAS,
	WIRE_PEER,      /**< a scenario's hostile peer (peer.h) */
};

struct wire_msg {
	struct le le;
	unsigned seq;            /**< 1-based order on this test's wire   */
	enum wire_role role;     /**< which of our endpoints saw it       */
	bool tx;                 /**< sent by that endpoint               */
	enum sip_transp tp;
	struct sa src;
	struct sa dst;
	uint64_t usec;           /**< monotonic, since the wire was made  */
	struct mbuf *raw;        /**< the bytes exactly                   */
	struct sip_msg *msg;     /**< decoded view (NULL if undecodable)  */
	bool retrans;            /**< same bytes already seen here        */
	bool mirror;             /**< the remote UAS's side of a UAC copy */
};

struct wire;
struct wire_port;

typedef void (wire_event_h)(const struct wire_msg *wm, void *arg);

int  wire_alloc(struct wire **wirep, wire_event_h *eh, void *arg);
int  wire_add(struct wire *wire, enum wire_role role, bool tx,
	      enum sip_transp tp, const struct sa *src, const struct sa *dst,
	      const uint8_t *p, size_t len);
const struct list *wire_msgs(const struct wire *wire);
uint64_t wire_now(const struct wire *wire);
int  wire_port_alloc(struct wire_port **portp, struct wire *wire,
		     enum wire_role role);
void wire_trace(bool tx, enum sip_transp tp, const struct sa *src,
		const struct sa *dst, const uint8_t *pkt, size_t len,
		void *arg);
void wire_mirror(struct wire *wire, const struct sa *remote);
const char *wire_role_name(enum wire_role role);
void wire_nodelay(const struct sip_msg *msg);
int  wire_msg_print(struct re_printf *pf, const struct wire_msg *wm);
