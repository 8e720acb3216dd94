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
