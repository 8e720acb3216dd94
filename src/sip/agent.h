/**
 * @file agent.h  A control connection to a remote UAS's agent
 *
 * In remote mode (--agent) another implementation plays the UAS. Its
 * agent listens on TCP; each test opens one connection, and the two
 * sides exchange JSON-RPC 2.0 messages, one per line (README: "Remote
 * UAS agents"). This module is the connection: it sends requests and
 * answers, and keeps what arrives until the test's wait takes it.
 */

struct agent;
struct odict;

/** Something arrived, or the connection ended: wake whoever waits */
typedef void (agent_event_h)(void *arg);

int  agent_connect(struct agent **ap, const struct sa *addr,
		   agent_event_h *eh, void *arg);
int  agent_request(struct agent *a, uint32_t *idp, const char *method,
		   const char *params);
int  agent_respond(struct agent *a, uint32_t id, const char *result,
		   const char *error);
struct odict *agent_response(struct agent *a, uint32_t id);
struct odict *agent_take(struct agent *a, const char *method);
int  agent_error(const struct agent *a);
int  agent_error_print(struct re_printf *pf, const struct odict *msg);
