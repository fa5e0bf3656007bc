/**
 * Zephyr's socket constants, with the board's numeric values (they travel on the wire as is).
 * Sources: include/zephyr/net/socket.h, net_ip.h, dns_resolve.h, tls_credentials.h, sys/fdtable.h.
 * Several differ from Linux's (AF_INET6 2 vs 10, MSG_DONTWAIT 0x40, SOL_SOCKET 1, FIONBIO 0x5421...).
 */

export const AF_UNSPEC = 0;
export const AF_INET = 1;
export const AF_INET6 = 2;
export const AF_PACKET = 3;
export const AF_CAN = 4;
export const AF_NET_MGMT = 5;
export const AF_LOCAL = 6;
export const AF_UNIX = AF_LOCAL;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;

export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_RAW = 255;
export const IPPROTO_TLS_1_0 = 256;
export const IPPROTO_TLS_1_1 = 257;
export const IPPROTO_TLS_1_2 = 258;
export const IPPROTO_TLS_1_3 = 259;
export const IPPROTO_DTLS_1_0 = 272;
export const IPPROTO_DTLS_1_2 = 273;

/** TLS / DTLS protocol numbers (the secure socket types). */
export function isSecureProtocol(proto: number): boolean {
  return (proto >= IPPROTO_TLS_1_0 && proto <= IPPROTO_TLS_1_3) || proto === IPPROTO_DTLS_1_0 || proto === IPPROTO_DTLS_1_2;
}

export const MSG_PEEK = 0x02;
export const MSG_CTRUNC = 0x08;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const POLLIN = 0x01;
export const POLLPRI = 0x02;
export const POLLOUT = 0x04;
export const POLLERR = 0x08;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_NONBLOCK = 0x4000;
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;

// Socket option levels and names.
export const SOL_SOCKET = 1;
export const SOL_TLS = 282;

export const SO_DEBUG = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_PRIORITY = 12;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_BINDTODEVICE = 25;
export const SO_ACCEPTCONN = 30;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;

export const TCP_NODELAY = 1;
export const TCP_KEEPIDLE = 2;
export const TCP_KEEPINTVL = 3;
export const TCP_KEEPCNT = 4;

export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_PKTINFO = 8;
export const IP_MTU = 14;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_DROP_MEMBERSHIP = 36;

export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_ADD_MEMBERSHIP = 20;
export const IPV6_DROP_MEMBERSHIP = 21;
export const IPV6_MTU = 24;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_TCLASS = 67;

export const TLS_SEC_TAG_LIST = 1;
export const TLS_HOSTNAME = 2;
export const TLS_CIPHERSUITE_LIST = 3;
export const TLS_CIPHERSUITE_USED = 4;
export const TLS_PEER_VERIFY = 5;
export const TLS_DTLS_ROLE = 6;
export const TLS_ALPN_LIST = 7;
export const TLS_DTLS_HANDSHAKE_TIMEOUT_MIN = 8;
export const TLS_DTLS_HANDSHAKE_TIMEOUT_MAX = 9;
export const TLS_CERT_NOCOPY = 10;
export const TLS_NATIVE = 11;
export const TLS_SESSION_CACHE = 12;
export const TLS_SESSION_CACHE_PURGE = 13;
export const TLS_DTLS_HANDSHAKE_ON_CONNECT = 18;

export const TLS_PEER_VERIFY_NONE = 0;
export const TLS_PEER_VERIFY_OPTIONAL = 1;
export const TLS_PEER_VERIFY_REQUIRED = 2;
export const TLS_DTLS_ROLE_CLIENT = 0;
export const TLS_DTLS_ROLE_SERVER = 1;

/** enum tls_credential_type (the wire's tls-cred-req key 2). */
export const TLS_CREDENTIAL_CA_CERTIFICATE = 1;
export const TLS_CREDENTIAL_SERVER_CERTIFICATE = 2;
export const TLS_CREDENTIAL_PUBLIC_CERTIFICATE = 2;
export const TLS_CREDENTIAL_PRIVATE_KEY = 3;
export const TLS_CREDENTIAL_PSK = 4;
export const TLS_CREDENTIAL_PSK_ID = 5;

// getaddrinfo / getnameinfo.
export const AI_PASSIVE = 0x1;
export const AI_CANONNAME = 0x2;
export const AI_NUMERICHOST = 0x4;
export const AI_V4MAPPED = 0x8;
export const AI_ALL = 0x10;
export const AI_ADDRCONFIG = 0x20;
export const AI_NUMERICSERV = 0x400;

export const NI_NUMERICHOST = 1;
export const NI_NUMERICSERV = 2;
export const NI_NOFQDN = 4;
export const NI_NAMEREQD = 8;
export const NI_DGRAM = 16;
export const NI_MAXHOST = 64;

/** DNS_EAI_* (dns_resolve.h): getaddrinfo's negative error codes. */
export const EAI = {
  EAI_BADFLAGS: -1,
  EAI_NONAME: -2,
  EAI_AGAIN: -3,
  EAI_FAIL: -4,
  EAI_NODATA: -5,
  EAI_FAMILY: -6,
  EAI_SOCKTYPE: -7,
  EAI_SERVICE: -8,
  EAI_ADDRFAMILY: -9,
  EAI_MEMORY: -10,
  EAI_SYSTEM: -11,
  EAI_OVERFLOW: -12,
  EAI_INPROGRESS: -100,
  EAI_CANCELED: -101,
  EAI_NOTCANCELED: -102,
  EAI_ALLDONE: -103,
  EAI_IDN_ENCODE: -105,
} as const;

/** As Zephyr's zsock_gai_strerror: the code's name ("EAI_NONAME"), or "EAI_UNKNOWN". */
export function gai_strerror(code: number): string {
  const hit = Object.entries(EAI).find(([, v]) => v === code);
  return hit ? hit[0] : 'EAI_UNKNOWN';
}
