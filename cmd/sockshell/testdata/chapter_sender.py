# The chapter's UDP sender, as printed there, sending to 127.0.0.1 on the
# port given after the message instead of 192.168.1.103:5000.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

s.sendto(sys.argv[1].encode(), ('127.0.0.1', int(sys.argv[2])))

s.close()
