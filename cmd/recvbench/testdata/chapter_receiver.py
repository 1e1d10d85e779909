# The chapter's UDP receiver as printed there, with only what a benchmark
# needs: bind takes an (address, port) tuple (the book's s.bind('',5000)
# raises a TypeError), the port comes from the command line (0 picks a free
# one) and is announced on stderr once bound. Its output is not flushed per
# line: the chapter's program does not do that either.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

s.bind(('', int(sys.argv[1])))
print('ready', s.getsockname()[1], file=sys.stderr, flush=True)

while True:
    data, addr = s.recvfrom(1024)

    print('received message:{0} from PORT{1} on {2}'.format(data.decode(), addr[1], addr[0]))

    if data.decode().lower() == 'bye':
        break

s.close()
