# Issue 10, item 2: uname and socket under a 100 us itimer; the supervisor
# once wrote a utsname record into a later stack frame (segfaults).  With
# argv[1] == "restart" the handler has SA_RESTART: then no call may fail.
import os, signal, socket, sys
signal.signal(signal.SIGALRM, lambda *a: None)
if sys.argv[1:] == ["restart"]:
    signal.siginterrupt(signal.SIGALRM, False)
ref = os.uname()
signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
intr = wrong = 0
for _ in range(5000):
    try:
        if os.uname() != ref:
            wrong += 1
        socket.socket().close()
    except InterruptedError:
        intr += 1
signal.setitimer(signal.ITIMER_REAL, 0)
print("wrong", wrong, "interrupted", intr)
