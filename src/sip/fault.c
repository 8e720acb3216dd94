/**
 * @file fault.c  Fault switches of the reference UAS
 */
#include <string.h>
#include <re.h>
#include "fault.h"


static const struct fault_info faults[FAULT_COUNT] = {
	[FAULT_NO_TO_TAG] = {"no-to-tag", "P-TAG-1",
		"non-100 responses carry no To tag"},
	[FAULT_NEW_TAG_FINAL] = {"new-tag-final", "P-TAG-2",
		"the final response has a To tag of its own"},
	[FAULT_VIA_DROPPED] = {"via-dropped", "P-COPY-1",
		"only the top Via is copied into responses"},
	[FAULT_TRYING_RELIABLE] = {"trying-reliable", "P-100-1",
		"100 Trying is sent reliably, without the Timestamp"},
	[FAULT_ACCEPT_ANY_STATUS] = {"accept-any-status", "P-RANGE-1",
		"progress() sends any statusCode, 200 and 700 included"},
	[FAULT_NO_CONTACT] = {"no-contact", "P-DLG-1",
		"provisional responses carry no Contact"},
	[FAULT_NO_RECORD_ROUTE] = {"no-record-route", "P-DLG-1",
		"Record-Route is not copied into responses"},
	[FAULT_WRONG_REASON] = {"wrong-reason", "P-REASON-1",
		"default reason phrases are wrong, custom ones ignored"},
	[FAULT_REASON_CRLF] = {"reason-crlf", "P-REASON-1",
		"a reasonPhrase with CR or LF is sent, not refused"},
	[FAULT_EXTRA_HEADER_DROPPED] = {"extra-header-dropped", "P-HDR-1",
		"the last of the extraHeaders is dropped"},
	[FAULT_EXTRA_HEADER_TWICE] = {"extra-header-twice", "P-HDR-1",
		"every extra header is sent twice"},
	[FAULT_HEADER_INJECTION] = {"header-injection", "P-HDR-1",
		"extraHeaders are sent unchecked (CR/LF, no colon, bad name)"},
	[FAULT_WRONG_CONTENT_LENGTH] = {"wrong-content-length",
		"P-BODY-1 P-WIRE-1",
		"Content-Length is one more than the body"},
	[FAULT_NO_CONTENT_TYPE] = {"no-content-type", "P-BODY-1",
		"a body is sent without Content-Type"},
	[FAULT_NO_RETX_INVITE] = {"no-retx-invite", "P-RETX-1",
		"a retransmitted INVITE gets no response"},
	[FAULT_NO_REFRESH] = {"no-refresh", "P-LONG-1",
		"a held INVITE gets no provisional every minute"},
	[FAULT_REQUIRE_IGNORED] = {"require-ignored", "R-WHEN-1",
		"Require: 100rel is treated as Supported (as SIP.js does)"},
	[FAULT_RELIABLE_ALWAYS] = {"reliable-always", "R-WHEN-2",
		"rel100 = true makes a response reliable even without 100rel "
		"in the INVITE"},
	[FAULT_REL100_IGNORED] = {"rel100-ignored", "R-WHEN-3",
		"the rel100 option is ignored"},
	[FAULT_NO_REQUIRE_HEADER] = {"no-require-header", "R-HDR-1",
		"reliable provisionals carry RSeq but no Require: 100rel"},
	[FAULT_RSEQ_ZERO] = {"rseq-zero", "R-RSEQ-1",
		"the first RSeq is 0"},
	[FAULT_RSEQ_SKIP] = {"rseq-skip", "R-RSEQ-1",
		"RSeq goes up by two"},
	[FAULT_NO_QUEUE] = {"no-queue", "R-ONE-1",
		"a second reliable provisional does not wait for the PRACK"},
	[FAULT_NO_RETRANSMIT] = {"no-retransmit", "R-RETX-1",
		"reliable provisionals are never retransmitted"},
	[FAULT_RETRANSMIT_FOREVER] = {"retransmit-forever",
		"R-RETX-2 R-FINAL-2",
		"neither the PRACK nor the final response stops "
		"retransmissions"},
	[FAULT_NO_TIMEOUT] = {"no-timeout", "R-TIMEOUT-1",
		"no 5xx after 64*T1 without PRACK"},
	[FAULT_PRACK_481] = {"prack-481", "R-PRACK-1",
		"a matching PRACK is answered 481"},
	[FAULT_PRACK_ALWAYS_200] = {"prack-always-200", "R-PRACK-2",
		"an unmatched PRACK is answered 200"},
	[FAULT_EARLY_2XX] = {"early-2xx", "R-FINAL-1",
		"the 200 does not wait for the PRACK of an SDP provisional"},
	[FAULT_PRACK_AFTER_FINAL_481] = {"prack-after-final-481",
		"R-FINAL-2",
		"PRACKs that arrive after the final response get 481"},
	[FAULT_ANSWER_CHANGES] = {"answer-changes", "S-ANS-1 S-ANS-2",
		"the 200 carries a new SDP, not the answer sent before"},
	[FAULT_NO_OFFER] = {"no-offer", "S-OFF-1",
		"no SDP offer in a reliable provisional to an offerless "
		"INVITE"},
	[FAULT_MODIFIERS_IGNORED] = {"modifiers-ignored", "S-MOD-1",
		"session description options and modifiers are ignored"},
	[FAULT_SDP_LF] = {"sdp-lf", "S-FMT-1",
		"generated SDP ends its lines in LF only"},
	[FAULT_SDP_NO_C_LINE] = {"sdp-no-c-line", "S-FMT-1",
		"generated SDP has no c= line at all"},
	[FAULT_SDP_BAD_PORT] = {"sdp-bad-port", "S-FMT-1",
		"the first m= port of generated SDP is \"$port\""},
	[FAULT_ANSWER_EXTRA_MLINE] = {"answer-extra-mline", "S-OA-1",
		"an answer adds a video m= line the offer did not have"},
	[FAULT_ANSWER_FOREIGN_CODEC] = {"answer-foreign-codec", "S-OA-1",
		"an answer adds G729 (18), which the offer did not have"},
	[FAULT_ANSWER_DIRECTION_SAME] = {"answer-direction-same", "S-OA-2",
		"sendonly and recvonly streams are answered with the same "
		"direction"},
	[FAULT_SDP_VERSION_JUMP] = {"sdp-version-jump", "S-VER-1",
		"an SDP repeated unchanged in a dialog has its o= version "
		"raised"},
	[FAULT_SDP_ORIGIN_CHANGES] = {"sdp-origin-changes", "S-VER-1",
		"an SDP repeated in a dialog has a new o= sess-id"},
	[FAULT_RSEQ_REUSE] = {"rseq-reuse", "R-RSEQ-1",
		"a reliable provisional reuses the RSeq of the one before"},
	[FAULT_UNSUPPORTED_FIRST] = {"unsupported-first", "P-EXT-1",
		"the 420 lists only the first unknown Require option tag"},
	[FAULT_REQUIRE_ACCEPTED] = {"require-accepted", "P-EXT-1",
		"an unknown Require option tag is ignored, the INVITE "
		"taken"},
	[FAULT_NO_DIALOG_501] = {"no-dialog-501", "P-DLG-2",
		"a request for no dialog and a CANCEL for no transaction "
		"get 501"},
	[FAULT_NO_2XX_RETRANSMIT] = {"no-2xx-retransmit", "P-2XX-1",
		"the 2xx to the INVITE is never retransmitted"},
	[FAULT_PRACK_STATELESS] = {"prack-stateless", "R-PRACK-3",
		"PRACKs are answered without a transaction: a "
		"retransmitted one is taken as new (481)"},
	[FAULT_BAD_HEADER_LINE] = {"bad-header-line", "P-WIRE-1",
		"provisionals (not 100) carry a header line without a colon "
		"(as SIP.js once sent)"},
	[FAULT_LF_LINE_ENDS] = {"lf-line-ends", "P-WIRE-1",
		"the head of a provisional (not 100) ends its lines in LF "
		"only"},
	[FAULT_SIPJS_OPTIONS_IGNORED] = {"sipjs-options-ignored", "S-MOD-1",
		"SIP.js's hold and constraints are ignored (siptap's "
		"codecs, direction, port and the modifiers still apply)"},
	[FAULT_RTC_ACTPASS_ANSWER] = {"rtc-actpass-answer", "S-RTC-1",
		"a WebRTC answer says a=setup:actpass"},
	[FAULT_RTC_NO_FINGERPRINT] = {"rtc-no-fingerprint", "S-RTC-1",
		"a WebRTC answer has no a=fingerprint"},
	[FAULT_RTC_BUNDLE_FOREIGN_MID] = {"rtc-bundle-foreign-mid", "S-RTC-2",
		"a WebRTC answer's a=group:BUNDLE names a mid the offer did "
		"not have"},
	[FAULT_PRACK_OFFER_IGNORED] = {"prack-offer-ignored", "R-PRACK-4",
		"a PRACK's offer gets a 200 without the answer"},
	[FAULT_EARLY_BYE_NO_FINAL] = {"early-bye-no-final", "P-BYE-1",
		"a BYE in the early dialog gets 200, the INVITE never a "
		"final response"},
	[FAULT_UPDATE_501] = {"update-501", "P-UPD-1",
		"UPDATE is answered 501 Not Implemented"},
	[FAULT_UPDATE_NO_GLARE] = {"update-no-glare", "P-UPD-1",
		"an UPDATE offer is answered 200 even while an offer of the "
		"UAS's own or the INVITE's is open"},
	[FAULT_UPDATE_TOO_EARLY] = {"update-too-early", "P-UPD-2 S-VER-1",
		"inv:update() sends its UPDATE before any reliable "
		"provisional to an INVITE without Allow: UPDATE, and with "
		"the o= version of the SDP before"},
	[FAULT_2XX_AFTER_ACK] = {"2xx-after-ack", "P-2XX-1",
		"the ACK does not stop the retransmissions of the 2xx to "
		"the INVITE: they go on to 64*T1"},
};


const struct fault_info *fault_info(enum fault f)
{
	return f < FAULT_COUNT ? &faults[f] : NULL;
}


int fault_lookup(const char *name, enum fault *fp)
{
	size_t i;

	for (i = 0; i < FAULT_COUNT; i++) {
		if (!strcmp(faults[i].name, name)) {
			*fp = (enum fault)i;
			return 0;
		}
	}

	return ENOENT;
}


/* One line a fault: name, the rules it breaks, what it does. */
int fault_print_all(struct re_printf *pf, void *unused)
{
	size_t i;
	int err = 0;

	(void)unused;
	for (i = 0; i < FAULT_COUNT; i++)
		err |= re_hprintf(pf, "%-22s %-20s %s\n", faults[i].name,
				  faults[i].rules, faults[i].what);

	return err;
}
