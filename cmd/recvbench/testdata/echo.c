/* A UDP echo server in C: the floor for -echo. It binds the port given (0
 * picks a free one) on every IPv4 interface, says on stderr which port once
 * bound, sends every datagram back to its sender and stops after "bye" in
 * any case. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof addr;
	char data[1025];

	if (s < 0 || argc < 2) {
		perror("socket");
		return 1;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons(atoi(argv[1]));
	if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    getsockname(s, (struct sockaddr *)&addr, &len) < 0) {
		perror("bind");
		return 1;
	}
	fprintf(stderr, "ready %d\n", ntohs(addr.sin_port));
	for (;;) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(s, data, 1024, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			perror("recvfrom");
			return 1;
		}
		data[n] = 0;
		if (strcasecmp(data, "bye") == 0)
			break;
		sendto(s, data, n, 0, (struct sockaddr *)&from, fromlen);
	}
	return 0;
}
