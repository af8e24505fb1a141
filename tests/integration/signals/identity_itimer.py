# Issue 10, item 1: under a 100 us itimer with a no-op handler (no
# SA_RESTART, as Python installs them), calls that cannot fail never fail.
import os, signal
from collections import Counter
signal.signal(signal.SIGALRM, lambda *a: None)
signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
pids = Counter(os.getpid() for _ in range(20000))
uids = Counter(os.getuid() for _ in range(20000))
ppids = Counter(os.getppid() for _ in range(20000))
signal.setitimer(signal.ITIMER_REAL, 0)
print("pids", len(pids), "uids", len(uids), "ppids", len(ppids))
