// What agent.mjs (SIP.js in node) and browser/page.mjs (SIP.js in
// Chromium) do alike with a UserAgent and its Invitations. No node and no
// browser API here, and no import of sip.js: each side passes its own.

// The Call-ID of a response to an INVITE, else undefined.
export function inviteResponseCallId(message) {
  if (!message.startsWith("SIP/2.0 ")) return undefined;
  const head = message.split("\r\n\r\n", 1)[0];
  const cseq = head.match(/^CSeq[ \t]*:[ \t]*\d+[ \t]+(\S+)/im);
  const callId = head.match(/^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im);
  return cseq && cseq[1] === "INVITE" && callId ? callId[1] : undefined;
}

// configure's keys on a started UserAgent. Invitation reads
// sipExtension100rel and sendInitialProvisionalResponse from the UA's
// options at each INVITE/progress; the Supported header was fixed when
// the core was made, so it is changed there too, as if the UserAgent had
// been built with the new policy. rel100: {required, supported} as
// SIPExtension values.
export function applyUaConfig(ua, { rel100, sendInitialProvisionalResponse, noAnswerTimeout }, REL100) {
  const options = ua.configuration;
  if (sendInitialProvisionalResponse !== undefined) options.sendInitialProvisionalResponse = sendInitialProvisionalResponse;
  if (noAnswerTimeout !== undefined) options.noAnswerTimeout = noAnswerTimeout;
  if (rel100 === undefined) return;
  options.sipExtension100rel = REL100[rel100];
  const core = ua.userAgentCore.configuration;
  for (const tags of [core.supportedOptionTags, core.supportedOptionTagsResponse]) {
    const at = tags.indexOf("100rel");
    if (at >= 0) tags.splice(at, 1);
    if (options.sipExtension100rel === REL100.supported) tags.push("100rel");
  }
}

// progress/accept/reject on call.invitation. The answer: an error if it
// threw or rejected, {settled:true} if it resolved, else {settled:false}
// once it sent a response for the call (call.onSent is woken) or after
// waitMs (it may wait for a PRACK, and siptap has to send that PRACK).
// A rejection after that goes to late(text).
export function invokeInvitation(call, method, options, waitMs, describe, late) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const answer = (settle, value) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      call.onSent.delete(onSent);
      settle(value);
    };
    // A method that resolves right after its send (microtasks) must
    // still count as settled, so look again once those have run.
    const onSent = () => setTimeout(() => answer(resolve, { settled: false }), 0);
    const timer = setTimeout(() => answer(resolve, { settled: false }), waitMs);
    call.onSent.add(onSent);
    let promise;
    try {
      promise = call.invitation[method](options);
    } catch (error) {
      return answer(reject, error);
    }
    Promise.resolve(promise).then(
      () => answer(resolve, { settled: true }),
      (error) => {
        if (!answered) return answer(reject, error);
        late(`${method} on call ${call.number} rejected later: ${describe(error)}`);
      });
  });
}

// The UAS's own requests in the dialog (siptap's inv:bye, inv:info,
// inv:reinvite) through SIP.js's Session: bye(), info(), invite(). The
// scenario's options, as siptap passes them, become SIP.js's: extraHeaders
// -> requestOptions.extraHeaders; info's body and contentType -> its
// requestOptions.body; reinvite's sdp = false -> withoutSdp (the 200
// offers, SIP.js answers in the ACK), its sessionDescriptionHandlerOptions
// and (translated) Modifiers as they are. timeout is siptap's own. An SDP
// string cannot be given: SIP.js makes its offers in its session
// description handler. Resolves with {cseq} of the request SIP.js sent;
// siptap reads its final response from the wire. SIP.js has no UPDATE.
export const SESSION_REQUESTS = { bye: "bye", info: "info", reinvite: "invite" };

export async function sessionRequest(call, method, options = {}) {
  const opts = options && typeof options === "object" ? options : {};
  const known = { bye: ["extraHeaders"], info: ["extraHeaders", "body", "contentType"],
    reinvite: ["extraHeaders", "sdp", "sessionDescriptionHandlerOptions", "sessionDescriptionHandlerModifiers"] };
  for (const key of Object.keys(opts)) {
    if (key !== "timeout" && !known[method].includes(key)) {
      throw new Error(`${method}: SIP.js's Session.${SESSION_REQUESTS[method]}() has no option like ${key}`);
    }
  }
  const requestOptions = {};
  if (opts.extraHeaders !== undefined) requestOptions.extraHeaders = opts.extraHeaders;
  const sipjs = {};
  if (method === "info" && opts.body !== undefined) {
    requestOptions.body = { contentDisposition: "render", contentType: opts.contentType, content: opts.body };
  }
  if (method === "reinvite") {
    if (typeof opts.sdp === "string") {
      throw new Error("reinvite: SIP.js makes its offer in its session description handler: " +
        "an SDP string (sdp = \"...\") has no Session.invite() option");
    }
    if (opts.sdp === false) sipjs.withoutSdp = true;
    for (const key of ["sessionDescriptionHandlerOptions", "sessionDescriptionHandlerModifiers"]) {
      if (opts[key] !== undefined) sipjs[key] = opts[key];
    }
  }
  sipjs.requestOptions = requestOptions;
  // siptap sent what came before (the ACK, say) ahead of this control
  // message, but the two arrive on different sockets: one turn of the
  // event loop lets SIP.js take what is already there first.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const request = await call.invitation[SESSION_REQUESTS[method]](sipjs);
  return { cseq: request.message.cseq };
}
