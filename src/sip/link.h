/**
 * @file link.h  Link impairment: a lossy network between UAC and UAS
 *
 * Over UDP a test's datagrams can be dropped, duplicated, delayed or
 * reordered on their way into siptap's UAC or UAS, by rules a scenario
 * gives (t:link) and by random loss (--loss, from --seed, so a failing
 * run replays exactly). The link acts where the datagram arrives, before
 * libre gets it (sizes.c), and marks what it did on the wire (wire.h:
 * wire_recv_link), so the wire log and the pcap show it.
 */

struct link;
struct wire;

enum link_action {
	LINK_DROP = 0,
	LINK_DUPLICATE,
	LINK_DELAY,
	LINK_REORDER,
};

/** One rule: which messages (and which copies of them) get what */
struct link_rule {
	enum link_action action;
	int to;                  /**< WIRE_UAC, WIRE_UAS, or -1: either */
	char met[24];            /**< a request's method, or ""         */
	uint16_t scode;          /**< a response's status, 0: a request */
	char cseq_met[24];       /**< the request it answers; "": any   */
	uint32_t skip;           /**< matching copies let through first */
	uint32_t copies;         /**< how many then; 0: every one       */
	uint32_t ms;             /**< delay; reorder's longest hold     */
};

int  link_alloc(struct link **linkp, struct wire *wire, uint32_t loss,
		uint64_t seed);
int  link_add(struct link *link, const struct link_rule *rule);
void link_set_loss(struct link *link, uint32_t percent);
int  link_rule_msg(struct link_rule *rule, const char *s);
bool link_recv(struct link *link, int role, const struct sa *laddr,
	       const struct sa *paddr, struct mbuf *mb);
