/* The chapter's UDP receiver written in C: the floor a receiver that takes
 * each datagram as it comes can reach, with nothing but the C library
 * between it and the kernel. It does what the Python program does: binds
 * the port given (0 picks a free one) on every IPv4 interface, says on
 * stderr which port once bound, prints each datagram's line through stdio
 * (block-buffered to a file, as C and Python buffer it) and stops after
 * "bye" in any case. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof addr;
	char data[1025], ip[INET_ADDRSTRLEN];

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
		inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
		printf("received message:%s from PORT%d on %s\n", data, ntohs(from.sin_port), ip);
		if (strcasecmp(data, "bye") == 0)
			break;
	}
	return 0;
}
