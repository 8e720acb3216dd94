/**
 * @file ws.h  SIP over WebSocket (RFC 7118) on libre's SIP connections
 *
 * A WebSocket listener of siptap is one of libre's SIP TCP (ws) or TLS
 * (wss) transports; ws.c puts a helper on each connection accepted there
 * (and on each connection libre opens to such a listener: the reference
 * UAS as a WebSocket client) that does the HTTP upgrade (RFC 6455 4,
 * with Sec-WebSocket-Protocol: sip, RFC 7118 4.1) and the framing (RFC
 * 6455 5). libre's SIP stack above it sees whole SIP messages as over
 * TCP; the wire sees each message a frame carried (transport WS/WSS),
 * and what was no SIP message, with the reason.
 */

struct ws_lsnr;
struct tcp_sock;

enum {
	WS_MAX_HANDSHAKE = 8192,       /**< bytes of an HTTP upgrade     */
};

/** One frame's head (RFC 6455 5.2). */
struct ws_frame {
	bool fin;
	uint8_t opcode;
	bool masked;
	uint8_t mkey[4];
	uint64_t len;                  /**< payload length               */
	size_t hlen;                   /**< head length                  */
};

/** What a client's upgrade asked for. */
struct ws_upgrade {
	char key[64];                  /**< Sec-WebSocket-Key             */
	bool sip;                      /**< offers the sip subprotocol    */
};

/** A WebSocket client's handshake failed, at a listener srv. */
typedef void (ws_fail_h)(const struct sa *srv, const char *why, void *arg);

typedef void (ws_raw_h)(const struct sa *laddr, const struct sa *paddr,
			enum sip_transp tp, const uint8_t *p, size_t len,
			const char *why);

void ws_init(ws_raw_h *rawh);
int  ws_lsnr_add(struct ws_lsnr **lp, struct sip *sip, enum sip_transp tp,
		 const struct sa *laddr, struct tls *tls);
const struct sa *ws_lsnr_addr(const struct ws_lsnr *l);
void ws_set_fail_handler(ws_fail_h *failh, void *arg);
bool ws_attach(struct tcp_conn *tc, struct tcp_sock *ts,
	       const struct sa *peer);
enum sip_transp ws_transp(enum sip_transp tp, const struct sa *src,
			  const struct sa *dst);
enum sip_transp ws_stream_transp(enum sip_transp tp);
bool ws_alive(const struct sa *paddr);
void ws_sweep(void);

/* the codec, for the helper and its unit tests */
int  ws_upgrade_parse(const uint8_t *p, size_t len, size_t *hlen,
		      struct ws_upgrade *up, char *why, size_t whysz);
void ws_accept_key(const char *key, char out[32]);
int  ws_response_check(const uint8_t *p, size_t len, size_t *hlen,
		       const char *key, char *why, size_t whysz);
int  ws_frame_decode(const uint8_t *p, size_t len, struct ws_frame *f,
		     char *why, size_t whysz);
int  ws_frame_encode(struct mbuf *mb, uint8_t opcode, const uint8_t *p,
		     size_t len, const uint8_t *mkey);
void ws_unmask(uint8_t *p, size_t len, const uint8_t mkey[4],
	       uint64_t off);
