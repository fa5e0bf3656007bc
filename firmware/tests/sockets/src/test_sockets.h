/* Request wrappers shared by the socket tests (test_sockets.c). Negative results are -errno. */
#ifndef NB_TEST_SOCKETS_H_
#define NB_TEST_SOCKETS_H_

#include <stddef.h>
#include <stdint.h>

#include "nb_sockets.h"

int t_socket(int family, int type, int proto);
void t_socketpair(int fds[2]);
int t_close(int fd);
/* CONNECT to 127.0.0.1:port: 0 or -errno. */
int t_connect_loopback(int fd, uint16_t port);
int t_send(int fd, const void *data, size_t len, int flags);
int t_recv(int fd, void *buf, size_t max, int flags, int timeout_ms);

/* Closes every socket the host side still has open (after a failed test); how many there were. */
int t_close_all(void);

#endif
