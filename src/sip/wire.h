/**
 * @file wire.h  Every SIP message a test sent or received
 *
 * libre calls our trace handler for each message its transports send
 * (retransmissions included); what siptap's sockets receive comes as
 * bytes before libre parses it (sizes.c, wire_recv), a message libre
 * cannot decode included. So the wire is the ground truth a scenario
 * asserts on: raw bytes, direction, role, addresses, time.
 */

enum wire_role {
	WIRE_UAC = 0,
	WIRE_UAS,
	WIRE_PEER,      /**< a scenario's hostile peer (peer.h) */
};

/* What the wire keeps of libre's decoding: the first line and the
 * headers that tell calls and transactions apart, as slices of the raw
 * bytes. (A whole struct sip_msg per message would be several times the
 * size of the message; wire_msg_decode() makes one when it is needed.) */
struct wire_head {        /* (the slices first: no padding) */
	struct pl met;           /**< request method                      */
	union {                  /* (one or the other: read by req)   */
		struct pl ruri;      /**< request URI                     */
		struct pl reason;    /**< response reason phrase          */
	};
	struct pl callid;
	struct pl cseq_met;
	struct pl to_tag;        /**< unset when the To has none          */
	uint32_t cseq;
	uint16_t scode;          /**< response status code                */
	bool req;
};

/* What link impairment (link.h) did to a message on its way in */
enum wire_link {
	WIRE_LINK_NONE = 0,
	WIRE_LINK_DROPPED,       /**< never reached its endpoint          */
	WIRE_LINK_DELAYED,       /**< held back before it did              */
	WIRE_LINK_DUPLICATE,     /**< a copy the link made                 */
	WIRE_LINK_REORDERED,     /**< held until the next one had passed   */
};

/* A message's header lines as msgview_headers() reads them, by offset
 * into its bytes: each name as filed but for case (a compact name's
 * long form, else its bytes) and its value (wire_msg_hlines) */
struct wire_hline {
	const char *lng;         /**< a compact name's long form, or NULL */
	uint32_t noff;           /**< else the name's bytes               */
	uint32_t nlen;
	uint32_t voff;
	uint32_t vlen;
};

struct wire_hlines {
	size_t n;
	struct wire_hline v[];
};

/* What the copies of one message on a wire share: a message between
 * our UAC and UAS is on it twice, sent and received, with the same
 * bytes and addresses (about 14 entries a call: the second copy of
 * each was 248 bytes of the same). (No padding.) */
struct wire_body {
	struct sa src;
	struct sa dst;
	struct mbuf *raw;        /**< the bytes exactly                   */
	char *why;               /**< undecodable: why (else NULL)        */
	struct wire_hlines *hlines; /**< made on the first ask (wire.c) */
	struct wire_head head;
};

/* One message as one endpoint saw it. Read its bytes, addresses and
 * head through b: its own body, or an earlier copy's (a copy is
 * allocated without own). (Ordered so that it has no padding.) */
struct wire_msg {
	struct le le;
	const struct wire_body *b;  /**< src, dst, raw, why, head        */
	uint64_t usec;           /**< monotonic, since the wire was made  */
	unsigned seq;            /**< 1-based order on this test's wire   */
	/* (a byte each: a copy is then 64 bytes, a size of the allocator's) */
	enum wire_role role:8;   /**< which of our endpoints saw it       */
	enum sip_transp tp:8;
	enum wire_link link:8;   /**< what the link did to it             */
	bool tx;                 /**< sent by that endpoint               */
	bool decoded;            /**< libre decoded it: head is set       */
	bool retrans;            /**< same bytes already seen here        */
	bool mirror;             /**< the remote UAS's side of a UAC copy */
	bool reported;           /**< told by the agent (edge mode), not
				      seen on a socket of ours           */
	bool unseen;             /**< not for the rules (wire_recv_link)  */
	bool heard;              /**< the same bytes reached this endpoint
				  *   before (retrans, a dropped copy not
				  *   counted)                           */
	bool shared;             /**< b is an earlier copy's (wire.c)     */
	struct wire_body own;    /**< (not in a copy: see b)              */
};

struct wire;
struct wire_port;

typedef void (wire_event_h)(const struct wire_msg *wm, void *arg);

int  wire_alloc(struct wire **wirep, wire_event_h *eh, void *arg);
int  wire_add(struct wire *wire, enum wire_role role, bool tx,
	      enum sip_transp tp, const struct sa *src, const struct sa *dst,
	      const uint8_t *p, size_t len);
int  wire_report(struct wire *wire, bool tx, enum sip_transp tp,
		 uint64_t usec, const uint8_t *p, size_t len);
int  wire_recv(struct wire *wire, enum wire_role role, enum sip_transp tp,
	       const struct sa *src, const struct sa *dst, const uint8_t *p,
	       size_t len, const char *why);
int  wire_recv_link(struct wire *wire, enum wire_role role,
		    enum sip_transp tp, const struct sa *src,
		    const struct sa *dst, const uint8_t *p, size_t len,
		    enum wire_link link);
const char *wire_link_name(enum wire_link link);
size_t wire_reason(char *buf, size_t sz, const uint8_t *p, size_t len);
size_t wire_start_reason(char *buf, size_t sz, const uint8_t *p,
			 size_t len);
bool wire_decoded(const struct wire *wire, const uint8_t *p, size_t len);
struct sip_msg *wire_kept_take(const uint8_t *p, size_t len);
void wire_kept_forget(const void *sock);
void wire_fresh(const uint8_t *p, size_t len, const struct sip_msg *msg);
const struct list *wire_msgs(const struct wire *wire);
const struct wire_msg *wire_msg_first(const struct list *msgs,
				      const struct wire_msg *wm);
const struct wire_hlines *wire_msg_hlines(const struct wire_msg *wm);
int  wire_msg_decode(const struct wire_msg *wm, struct sip_msg **msgp);
uint64_t wire_now(const struct wire *wire);
int  wire_port_alloc(struct wire_port **portp, struct wire *wire,
		     enum wire_role role);
void wire_trace(bool tx, enum sip_transp tp, const struct sa *src,
		const struct sa *dst, const uint8_t *pkt, size_t len,
		void *arg);
void wire_mirror(struct wire *wire, const struct sa *remote);
const char *wire_role_name(enum wire_role role);
void wire_nodelay(const struct sip_msg *msg);
void wire_sending(struct mbuf *mb);
struct mbuf *wire_sent_ref(const uint8_t *p, size_t len);
int  wire_msg_print(struct re_printf *pf, const struct wire_msg *wm);
