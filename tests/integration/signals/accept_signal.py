# A parked accept (the supervisor waits for it) is interrupted by a
# signal like a native one: EINTR without SA_RESTART, restarted with it.
import socket, signal, time, os, sys
class Boom(Exception): pass
def h(*a): raise Boom()
signal.signal(signal.SIGALRM, h)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
signal.setitimer(signal.ITIMER_REAL, 0.3)
t = time.time()
try:
    s.accept(); print("accepted?!")
except Boom:
    print("accept interrupted after %.2fs" % (time.time() - t))
# SA_RESTART: handler runs, accept continues until a connection comes
hits = []
signal.signal(signal.SIGALRM, lambda *a: hits.append(1))
signal.siginterrupt(signal.SIGALRM, False)
port = s.getsockname()[1]
if os.fork() == 0:
    time.sleep(0.6); c = socket.create_connection(("127.0.0.1", port)); time.sleep(0.2); os._exit(0)
signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
try:
    conn, _ = s.accept(); print("accepted after", len(hits), "handler runs")
except InterruptedError:
    print("EINTR with SA_RESTART: wrong")
signal.setitimer(signal.ITIMER_REAL, 0)
os.wait()
