/**
 * @file ws_reg.h  A WebSocket client's REGISTER, for the reference UAS
 */

struct ws_reg;

/** Registered (err 0), or not and why (one line). */
typedef void (ws_reg_h)(int err, const char *why, void *arg);

int ws_register(struct ws_reg **rp, struct sip *sip, enum sip_transp tp,
		const struct sa *srv, const char *user, ws_reg_h *h,
		void *arg);
