/**
 * @file sizes.h  How big a message siptap carries, and what it lost
 *
 * libre 1.1.0's SIP transports read 8 KB of a UDP datagram, give up on a
 * TCP message over 64 KB and queue 512 KB for a TCP send, and they keep
 * their sockets to themselves. sizes.c sets those sockets up as they
 * are made (see there how), paces datagrams to siptap's own UDP sockets
 * so that the kernel does not drop them, and reports what siptap could
 * not take or send: a harness error, never the peer's fault.
 *
 * It also taps those sockets: every datagram and every stream message
 * (framed by siptap, by Content-Length) goes to the raw handler as
 * bytes before libre parses it, and what libre could not parse never
 * reaches libre (which would print "sip: msg decode err" and drop it,
 * or close the connection).
 */

enum {
	SIZES_UDP_MAX    = 65507,            /**< one IPv4 UDP datagram  */
	SIZES_STREAM_MAX = 4 * 1024 * 1024,  /**< a message over TCP/TLS */
};

struct sizes_udp;

/** Something siptap lost, at its socket laddr; why is one line. */
typedef void (sizes_loss_h)(enum sip_transp tp, const struct sa *laddr,
			    const char *why);

/**
 * A message at one of siptap's SIP sockets, as it came: a datagram, or
 * one message of a stream. why is NULL when libre takes it, else why
 * libre does not get it (it does not parse; a stream message without
 * Content-Length). Keepalives (CR LF only) and STUN are not messages.
 */
typedef void (sizes_raw_h)(const struct sa *laddr, const struct sa *paddr,
			   enum sip_transp tp, const uint8_t *p, size_t len,
			   const char *why);

/**
 * A decodable datagram at one of siptap's UDP sockets, before it goes
 * on (link.h): true when the handler took it (to drop it, or to hand it
 * on later with sizes_udp_deliver()); the raw handler then does not see
 * it either.
 */
typedef bool (sizes_link_h)(const struct sa *laddr, const struct sa *paddr,
			    struct mbuf *mb);

/**
 * Asked before a datagram at one of siptap's UDP sockets is decoded:
 * true when these very bytes decoded before (the other end of the call
 * is siptap's too and its wire holds what it sent), so that a decoding
 * would say nothing new.
 */
typedef bool (sizes_known_h)(const struct sa *laddr, const uint8_t *p,
			     size_t len);

typedef bool (sizes_callid_h)(const struct sa *laddr,
			      const struct pl *callid);
void   sizes_init(sizes_loss_h *lossh);
void   sizes_callid_handler(sizes_callid_h *callidh);
void   sizes_known_handler(sizes_known_h *knownh);
void   sizes_link_handler(sizes_link_h *linkh);
int    sizes_udp_deliver(const struct sa *laddr, const struct sa *paddr,
			 const uint8_t *p, size_t len);
void   sizes_raw_handler(sizes_raw_h *rawh);
void   sizes_lost(enum sip_transp tp, const struct sa *laddr,
		  const char *why);

size_t sizes_max(enum sip_transp tp);
int    sizes_check(enum sip_transp tp, size_t len);
const char *sizes_strerror(int err);
int    sizes_no_conn(void);
int    sizes_udp_watch(struct sizes_udp **wp, const struct sa *laddr);
unsigned sizes_udp_drops(const struct sizes_udp *w);
int    sizes_udp_pool_init(void);
void   sizes_udp_pool(bool on);
void   sizes_udp_release(struct sizes_udp *w);
void   sizes_udp_ended(const struct pl *id);
size_t sizes_udp_late(void);
void   sizes_udp_pool_flush(void);
void   sizes_sweep(void);
int    sizes_frame(struct tcp_conn *tc);
struct tcp_sock *sizes_tcp_last(void);
size_t sizes_head_end(const uint8_t *p, size_t len);
