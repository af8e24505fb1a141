# Issue 10, item 8: a failed execve must not rename the process.
import os, sys
try:
    os.execv("/no/such/prog", ["/no/such/prog", "x"])
except OSError:
    pass
os.uname()
pid = os.getpid()
print(open("/proc/%d/cmdline" % pid).read().replace("\0", " ").strip())
print(open("/proc/%d/status" % pid).read().split("\n")[0])
