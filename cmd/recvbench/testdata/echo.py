# A UDP echo server in the chapter's style: every datagram goes back to its
# sender, until "bye" in any case. The port comes from the command line (0
# picks a free one) and is announced on stderr once bound.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('', int(sys.argv[1])))
print('ready', s.getsockname()[1], file=sys.stderr, flush=True)

while True:
    data, addr = s.recvfrom(1024)
    if data.decode().lower() == 'bye':
        break
    s.sendto(data, addr)

s.close()
