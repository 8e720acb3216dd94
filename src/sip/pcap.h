/**
 * @file pcap.h  A test's wire as a pcap file, for Wireshark and tshark
 *
 * siptap sees SIP messages, not packets: this rebuilds IPv4/IPv6, UDP
 * and TCP headers around them so the usual tools decode the exchange.
 * The prefix is pcapw_, not pcap_, to stay clear of libpcap's names;
 * include libpcap as <pcap/pcap.h>, since -Isrc/sip makes <pcap.h> this file.
 *
 * TLS (and WS/WSS) messages are written as the plaintext SIP siptap
 * saw, in TCP on the real ports. tshark finds SIP in them on any port
 * through its SIP-over-TCP heuristic (on by default; port 5061 is only
 * registered for SIP in TLS, so it does not help); where the heuristic
 * is off, decode them with `tshark -d tcp.port==PORT,sip`.
 */

int pcapw_write(const char *path, const struct list *msgs,
		uint64_t start_unix_usec);
